"""POST /absences (SPEC 2.4): the key's life cycle: INS, ALT and DEL of a cod_interno, in one batch
and across requests.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, BIA, absence, at, entry, errors
from tests.harness import Harness

ROUTE = "absences"


def test_insert_of_an_existing_code(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a")])
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-05-01", "2024-05-02"),
            absence("b", "2024-06-01", "2024-06-02"),
            absence("b", "2024-07-01", "2024-07-02"),  # taken by the record before it
        ],
    )
    assert report["status"] == "warning"
    assert errors(report) == [
        entry(0, ANA, msg.INTERNAL_CODE_TAKEN),
        entry(2, ANA, msg.INTERNAL_CODE_TAKEN),
    ]
    assert ready.absences()["b"]["inicio"] == at("2024-06-01")


def test_alter_or_delete_of_an_unknown_code(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("nope", operation="ALT"),
            {"cod_interno": "nope", "operation": "DEL"},
            {"cod_interno": "nope", "operation": "DEL", "matricula": BIA},
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.ABSENCE_NOT_FOUND),
        entry(1, "nope", msg.ABSENCE_NOT_FOUND),
        entry(2, BIA, msg.ABSENCE_NOT_FOUND),
    ]


def test_insert_then_alter_in_one_batch(ready: Harness) -> None:
    ready.reason("FER", "Férias")
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-10", "2024-01-12"),
            absence(
                "a", "2024-04-01T08:00", "2024-04-30", operation="ALT", matricula=BIA, motivo="FER"
            ),
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences() == {
        "a": {
            "cod_interno": "a",
            "matricula": BIA,
            "motivo": "FER",
            "inicio": at("2024-04-01T08:00"),
            "fim": at("2024-05-01T00:00"),
        }
    }


def test_alter_replaces_a_stored_absence(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a")])
    ready.ok(
        ROUTE, [absence("a", "2024-02-10", "2024-02-11T12:00", operation="ALT", matricula=BIA)]
    )
    stored = ready.absences()["a"]
    assert (stored["matricula"], stored["inicio"], stored["fim"]) == (
        BIA,
        at("2024-02-10"),
        at("2024-02-11T12:00"),
    )


def test_code_is_free_again_after_delete(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-12")])
    # in the same batch as the DEL...
    report = ready.apply(
        ROUTE,
        [
            {"cod_interno": "a", "operation": "DEL"},
            absence("a", "2024-03-10", "2024-03-12", matricula=BIA),
            {"cod_interno": "a", "operation": "DEL"},
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences() == {}
    # ...and in a later one
    ready.ok(ROUTE, [absence("a", "2024-05-10", "2024-05-12")])
    assert ready.absences()["a"]["inicio"] == at("2024-05-10")


def test_a_failed_record_changes_nothing(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-12")])
    before = ready.absences()
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-03-01", "2024-03-02", operation="ALT", motivo="??"),
            absence("b", "2024-03-01", "2024-03-02", matricula="nobody"),
            absence("a", "2024-03-01", "2024-03-02", operation="ALT"),  # the first did nothing
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.ABSENCE_REASON_NOT_FOUND),
        entry(1, "nobody", msg.EMPLOYEE_NOT_FOUND),
    ]
    assert before["a"]["inicio"] == at("2024-01-10")
    assert set(ready.absences()) == {"a"}
    assert ready.absences()["a"]["inicio"] == at("2024-03-01")


def test_all_messages_of_a_record_are_reported(ready: Harness) -> None:
    ready.ok(ROUTE, [absence("a")])
    report = ready.apply(
        ROUTE,
        [
            absence(
                "a", "2024-01-10", "2024-01-09", matricula="x", motivo="y", ignora_bloqueio="sim"
            )
        ],
    )
    assert errors(report) == [
        entry(
            0,
            "x",
            msg.INTERNAL_CODE_TAKEN,
            msg.EMPLOYEE_NOT_FOUND,
            msg.ABSENCE_REASON_NOT_FOUND,
            msg.END_BEFORE_START,
            msg.invalid("ignora_bloqueio"),
        )
    ]
