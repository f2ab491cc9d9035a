"""POST /absences (SPEC 2.4): overlapping absences of one employee.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, BIA, absence, at, entry, errors
from tests.harness import Harness

ROUTE = "absences"


def test_overlapping_records_in_one_batch(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-10T08:00", "2024-01-12T08:00"),
            absence("b", "2024-01-12T07:59", "2024-01-13"),
            absence("c", "2024-01-11", "2024-01-11", matricula=BIA),  # another employee: fine
        ],
    )
    assert errors(report) == [entry(1, ANA, msg.ABSENCE_OVERLAP)]
    assert set(ready.absences()) == {"a", "c"}


def test_overlap_with_a_stored_absence(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-20")])
    report = ready.apply(
        ROUTE,
        [
            absence("inside", "2024-01-12", "2024-01-13"),
            absence("around", "2024-01-01", "2024-01-31"),
            absence("start", "2024-01-20T23:59", "2024-01-22"),
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.ABSENCE_OVERLAP),
        entry(1, ANA, msg.ABSENCE_OVERLAP),
        entry(2, ANA, msg.ABSENCE_OVERLAP),
    ]


def test_touching_intervals_do_not_overlap(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-10T08:00", "2024-01-15T00:00"),
            absence("b", "2024-01-15", "2024-01-15T12:00"),
            absence("c", "2024-01-15T12:00", "2024-01-16"),  # date-only end: through the 16th
            absence("d", "2024-01-17", "2024-01-17T24:00"),
            absence("e", "2024-01-18T00:00", "2024-01-18T01:00"),
            absence("f", "2024-01-16T23:00", "2024-01-16T23:30"),  # inside c
        ],
    )
    assert errors(report) == [entry(5, ANA, msg.ABSENCE_OVERLAP)]


def test_alter_over_its_own_previous_version(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-15")])
    report = ready.apply(ROUTE, [absence("a", "2024-01-12", "2024-01-20", operation="ALT")])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences()["a"]["fim"] == at("2024-01-21")


def test_alter_onto_another_absence_overlaps(ready: Harness) -> None:
    ready.ok(
        ROUTE,
        [absence("a", "2024-01-10", "2024-01-12"), absence("b", "2024-01-20", "2024-01-22")],
    )
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-21", "2024-01-25", operation="ALT"),
            # moved to the other employee, the same time is free
            absence("a", "2024-01-21", "2024-01-25", operation="ALT", matricula=BIA),
            # a's old time is free for ANA now
            absence("c", "2024-01-10", "2024-01-12"),
        ],
    )
    assert errors(report) == [entry(0, ANA, msg.ABSENCE_OVERLAP)]
    assert ready.absences()["a"]["matricula"] == BIA


def test_deleted_absence_frees_its_time(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-12")])
    report = ready.apply(
        ROUTE,
        [
            absence("b", "2024-01-11", "2024-01-11"),
            {"cod_interno": "a", "operation": "DEL"},
            absence("b", "2024-01-11", "2024-01-11"),
        ],
    )
    assert errors(report) == [entry(0, ANA, msg.ABSENCE_OVERLAP)]
    assert set(ready.absences()) == {"b"}
