"""SPEC 1.5: the one visibility rule of the read side — 200 until `finished_at +
ITG_VALIDITY_SECONDS`, 410 until `ITG_RETENTION_DAYS` more (counted from expiry), then 404;
an unfinished process never expires. The cutoffs the list and the purge put in SQL agree
with the rule at every boundary."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from itg.errors import NotFoundError, ProcessExpiredError
from itg.processes.visibility import Visibility, check_visible, cutoffs, visibility
from itg.settings import Settings

FINISHED = datetime(2026, 11, 28, 16, 0, 1)
TICK = timedelta(microseconds=1)
DEFAULT = Settings()  # 900 s of validity, 7 days of retention
EXPIRY = FINISHED + timedelta(seconds=900)
RETENTION_END = EXPIRY + timedelta(days=7)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(FINISHED, Visibility.VISIBLE, id="at-finish"),
        pytest.param(EXPIRY - TICK, Visibility.VISIBLE, id="just-before-expiry"),
        pytest.param(EXPIRY, Visibility.EXPIRED, id="exactly-at-expiry"),
        pytest.param(RETENTION_END - TICK, Visibility.EXPIRED, id="just-before-retention-end"),
        pytest.param(RETENTION_END, Visibility.GONE, id="exactly-at-retention-end"),
        pytest.param(RETENTION_END + timedelta(days=365), Visibility.GONE, id="long-after"),
    ],
)
def test_a_finished_process_is_visible_then_expired_then_gone(now, expected):
    assert visibility(FINISHED, DEFAULT, now) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(EXPIRY - TICK, Visibility.VISIBLE, id="just-before-expiry"),
        pytest.param(EXPIRY, Visibility.GONE, id="exactly-at-expiry"),
        pytest.param(EXPIRY + timedelta(days=1), Visibility.GONE, id="after"),
    ],
)
def test_retention_zero_goes_at_expiry_never_expired(now, expected):
    # Given ITG_RETENTION_DAYS=0: purged at expiry, so there is no 410 phase
    settings = Settings(retention_days=0)
    assert visibility(FINISHED, settings, now) is expected


def test_fractional_retention_counts_from_expiry():
    # Given half a day of retention
    settings = Settings(validity_seconds=60, retention_days=0.5)
    expiry = FINISHED + timedelta(seconds=60)
    # Then it is expired until exactly twelve hours after expiry, then gone
    assert visibility(FINISHED, settings, expiry + timedelta(hours=12) - TICK) is Visibility.EXPIRED
    assert visibility(FINISHED, settings, expiry + timedelta(hours=12)) is Visibility.GONE


@pytest.mark.parametrize("retention_days", [0.0, 7.0])
def test_an_unfinished_process_never_expires(retention_days):
    settings = Settings(validity_seconds=1, retention_days=retention_days)
    assert visibility(None, settings, datetime(9999, 12, 31)) is Visibility.VISIBLE


def test_a_retention_of_millennia_never_goes():
    # Given a retention too long to subtract from any date (no OverflowError)
    settings = Settings(retention_days=1e300)
    # Then a process expires, and stays expired
    assert visibility(FINISHED, settings, datetime(9999, 12, 31)) is Visibility.EXPIRED
    assert cutoffs(settings, datetime(9999, 12, 31)).gone_by == datetime.min


def test_check_visible_raises_the_monitor_s_answers():
    check_visible(FINISHED, DEFAULT, EXPIRY - TICK)
    check_visible(None, DEFAULT, RETENTION_END)
    with pytest.raises(ProcessExpiredError, match="^Process expired$"):
        check_visible(FINISHED, DEFAULT, EXPIRY)
    with pytest.raises(NotFoundError, match="^Process not found$"):
        check_visible(FINISHED, DEFAULT, RETENTION_END)


@pytest.mark.parametrize("retention_days", [0.0, 0.5, 7.0])
@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 2])
def test_the_sql_cutoffs_agree_with_the_rule(retention_days, offset):
    # Given a moment a few microseconds around a boundary of a process finished at FINISHED
    settings = Settings(validity_seconds=900, retention_days=retention_days)
    expiry = FINISHED + timedelta(seconds=900)
    for boundary in (expiry, expiry + timedelta(days=retention_days)):
        now = boundary + offset * TICK
        cut = cutoffs(settings, now)
        seen = visibility(FINISHED, settings, now)
        # Then `finished_at <= gone_by` (the list leaves it out, the purge deletes it) is GONE
        assert (FINISHED <= cut.gone_by) == (seen is Visibility.GONE)
        # And `finished_at <= expired_by` (listed as expired) is anything but VISIBLE
        assert (FINISHED <= cut.expired_by) == (seen is not Visibility.VISIBLE)
