"""The finished-report cache's form of the visibility rule (itg/processes/visibility.py
`Deadlines`) answers exactly as the cutoffs do, at every moment, for any validity and
retention — the boundaries and the spans past the calendar included."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itg.errors import NotFoundError, ProcessExpiredError
from itg.processes.visibility import Visibility, cutoffs, deadlines
from itg.settings import Settings

FINISHED = datetime(2026, 11, 28, 16, 0, 1)
MOMENTS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
SPANS = st.one_of(
    st.integers(min_value=1, max_value=10**6),
    st.floats(min_value=0, max_value=10**14, allow_nan=False),  # past the calendar too
)


@given(finished=MOMENTS, offset=st.integers(-(10**12), 10**12), validity=SPANS, retention=SPANS)
def test_deadlines_agree_with_the_cutoffs(
    finished: datetime, offset: int, validity: float, retention: float
):
    settings = Settings(validity_seconds=int(validity) or 1, retention_days=retention / 86_400)
    try:
        now = finished + timedelta(microseconds=offset)
    except OverflowError:
        now = finished
    assert deadlines(finished, settings).of(now) is cutoffs(settings, now).of(finished)


def test_the_boundaries_are_the_rule_s():
    # Given the default settings: 900 s of validity, 7 days of retention
    rule = deadlines(FINISHED, Settings())
    expiry = FINISHED + timedelta(seconds=900)
    tick = timedelta(microseconds=1)
    # Then readable up to expiry, expired up to the end of retention, gone from then on
    assert rule.of(expiry - tick) is Visibility.VISIBLE
    assert rule.of(expiry) is Visibility.EXPIRED
    assert rule.of(expiry + timedelta(days=7) - tick) is Visibility.EXPIRED
    assert rule.of(expiry + timedelta(days=7)) is Visibility.GONE
    rule.check(expiry - tick)
    with pytest.raises(ProcessExpiredError):
        rule.check(expiry)
    with pytest.raises(NotFoundError):
        rule.check(expiry + timedelta(days=7))
