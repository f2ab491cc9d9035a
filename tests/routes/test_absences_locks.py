"""POST /absences (SPEC 2.4): locked periods and ignora_bloqueio.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, BIA, absence, at, entry, errors
from tests.harness import Harness

ROUTE = "absences"


def test_locked_month_blocks_an_insert_that_touches_it(ready: Harness) -> None:
    ready.lock("2024-02")
    report = ready.apply(
        ROUTE,
        [
            absence("before", "2024-01-20", "2024-02-01T00:00"),  # ends as February starts
            absence("into", "2024-01-25", "2024-02-01T00:01", matricula=BIA),
            absence("inside", "2024-02-10", "2024-02-10"),
            absence("last", "2024-02-29T23:59", "2024-03-01T00:00"),
            absence("across", "2023-12-01", "2024-04-30", matricula=BIA),
            absence("after", "2024-03-01", "2024-03-05"),
        ],
    )
    assert report["status"] == "warning"
    assert errors(report) == [
        entry(1, BIA, msg.PERIOD_LOCKED),
        entry(2, ANA, msg.PERIOD_LOCKED),
        entry(3, ANA, msg.PERIOD_LOCKED),
        entry(4, BIA, msg.PERIOD_LOCKED),
    ]
    assert set(ready.absences()) == {"before", "after"}


def test_ignora_bloqueio_bypasses_the_lock(ready: Harness) -> None:
    ready.lock("2024-02")
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-02-01", "2024-02-02", ignora_bloqueio="true"),
            absence("b", "2024-02-03", "2024-02-03", ignora_bloqueio=True),
            absence("c", "2024-02-04", "2024-02-04", ignora_bloqueio=" TRUE "),
            absence("d", "2024-02-05", "2024-02-05", ignora_bloqueio="1"),
            absence("e", "2024-02-06", "2024-02-06", ignora_bloqueio="false"),
            absence("f", "2024-02-07", "2024-02-07", ignora_bloqueio="0"),
            absence("g", "2024-02-08", "2024-02-08", ignora_bloqueio=False),
            absence("h", "2024-02-09", "2024-02-09", ignora_bloqueio=""),
        ],
    )
    assert errors(report) == [entry(i, ANA, msg.PERIOD_LOCKED) for i in range(4, 8)]
    assert set(ready.absences()) == {"a", "b", "c", "d"}


def test_invalid_ignora_bloqueio(ready: Harness) -> None:
    ready.lock("2024-02")
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-01", "2024-01-02", ignora_bloqueio="yes"),
            absence("b", "2024-02-01", "2024-02-02", ignora_bloqueio=1),
            {"cod_interno": "c", "operation": "DEL", "ignora_bloqueio": "sim"},
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.invalid("ignora_bloqueio")),
        entry(1, ANA, msg.invalid("ignora_bloqueio"), msg.PERIOD_LOCKED),
        entry(2, "c", msg.invalid("ignora_bloqueio"), msg.ABSENCE_NOT_FOUND),
    ]


def test_lock_applies_to_the_old_interval_of_alter_and_delete(ready: Harness) -> None:
    # Given an absence in February, stored before February was locked
    ready.ok(ROUTE, [absence("a", "2024-02-10", "2024-02-12")])
    ready.lock("2024-02")
    # When it is moved to March or deleted
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-03-10", "2024-03-12", operation="ALT"),
            {"cod_interno": "a", "operation": "DEL"},
        ],
    )
    # Then both fail, and the absence stays
    assert report["status"] == "error"
    assert errors(report) == [entry(0, ANA, msg.PERIOD_LOCKED), entry(1, "a", msg.PERIOD_LOCKED)]
    assert ready.absences()["a"]["inicio"] == at("2024-02-10")
    # Unless the lock is ignored
    ready.ok(
        ROUTE, [absence("a", "2024-03-10", "2024-03-12", operation="ALT", ignora_bloqueio="1")]
    )
    assert ready.absences()["a"]["inicio"] == at("2024-03-10")
    # And once out of February, it may change and go freely
    ready.ok(ROUTE, [absence("a", "2024-03-11", "2024-03-12", operation="ALT")])
    ready.ok(ROUTE, [{"cod_interno": "a", "operation": "DEL"}])
    assert ready.absences() == {}


def test_lock_of_the_new_interval_of_an_alter(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-03-10", "2024-03-12")])
    ready.lock("2024-02")
    report = ready.apply(ROUTE, [absence("a", "2024-02-28", "2024-03-01", operation="ALT")])
    assert errors(report) == [entry(0, ANA, msg.PERIOD_LOCKED)]


def test_lock_of_december_9999(ready: Harness) -> None:
    ready.lock("9999-12")
    report = ready.apply(ROUTE, [absence("a", "9999-12-30", "9999-12-30T24:00")])
    assert errors(report) == [entry(0, ANA, msg.PERIOD_LOCKED)]
