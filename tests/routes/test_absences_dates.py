"""POST /absences (SPEC 2.4): the start and end dates and their order.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, absence, at, entry, errors
from tests.harness import Harness

ROUTE = "absences"


def test_invalid_start(ready: Harness) -> None:
    starts = [
        "2024-13-01",
        "2024-02-30",
        "11/01/2024",
        "2024-01-11T10:00:00",
        "2024-01-11 10:00",
        "2024-01-11T24:00",  # 24:00 is only an end
        "2024-01-11T9:00",
        20240111,
        True,
    ]
    records = [absence(f"c{i}", start, "2024-01-20") for i, start in enumerate(starts)]
    report = ready.apply(ROUTE, records)
    assert errors(report) == [entry(i, ANA, msg.START_DATE_INVALID) for i in range(len(starts))]


def test_invalid_end(ready: Harness) -> None:
    ends = [
        "2024-01-15T25:00",
        "2024-01-15T24:01",
        "2024-01-15T23:60",
        "15/01/2024",
        "2024-01-15T23:00Z",
        "9999-12-31",  # its end is beyond what can be represented
        False,
    ]
    records = [absence(f"c{i}", "2024-01-11", end) for i, end in enumerate(ends)]
    report = ready.apply(ROUTE, records)
    assert errors(report) == [entry(i, ANA, msg.END_DATE_INVALID) for i in range(len(ends))]


def test_both_dates_invalid(ready: Harness) -> None:
    report = ready.apply(ROUTE, [absence("a", "x", "y")])
    assert errors(report) == [entry(0, ANA, msg.START_DATE_INVALID, msg.END_DATE_INVALID)]


def test_end_must_be_after_start(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-11T10:00", "2024-01-11T09:59"),
            absence("b", "2024-01-11T10:00", "2024-01-11T10:00"),  # empty interval
            absence("c", "2024-01-12", "2024-01-11"),
            absence("d", "2024-01-11", "2024-01-11"),  # the whole day: fine
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.END_BEFORE_START),
        entry(1, ANA, msg.END_BEFORE_START),
        entry(2, ANA, msg.END_BEFORE_START),
    ]
    assert set(ready.absences()) == {"d"}


def test_date_only_and_24_00_mean_the_end_of_the_day(ready: Harness) -> None:
    ready.ok(
        ROUTE,
        [
            absence("a", "2024-01-10", "2024-01-12"),
            absence("b", "2024-01-20T08:30", "2024-01-21T24:00"),
        ],
    )
    stored = ready.absences()
    assert (stored["a"]["inicio"], stored["a"]["fim"]) == (at("2024-01-10"), at("2024-01-13"))
    assert (stored["b"]["inicio"], stored["b"]["fim"]) == (
        at("2024-01-20T08:30"),
        at("2024-01-22T00:00"),
    )
