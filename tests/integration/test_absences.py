"""POST /absences through HTTP and a real worker: every rule and message of SPEC 2.4."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from ops_helpers import Ops, counting_selects, employee, entry, errors, new_company, selects_from

from itg.domain import messages as msg

ROUTE = "absences"
ANA, BIA = "00000001", "00000002"


@pytest.fixture
def ops(client, tenant, db, run_worker) -> Ops:  # type: ignore[no-untyped-def]
    return Ops(client, tenant, db, run_worker)


@pytest.fixture
def ready(ops: Ops) -> Ops:
    """Two employees and the reason ATM / `Atestado médico`."""
    ops.employees(ANA, BIA)
    ops.reason("ATM", "Atestado médico")
    return ops


def absence(
    code: Any,
    inicio: Any = "2024-01-10",
    fim: Any = "2024-01-12",
    *,
    operation: Any = "INS",
    matricula: Any = ANA,
    motivo: Any = "ATM",
    **extra: Any,
) -> dict[str, Any]:
    record = {
        "cod_interno": code,
        "operation": operation,
        "matricula": matricula,
        "motivo": motivo,
        "inicio": inicio,
        "fim": fim,
        **extra,
    }
    return {k: v for k, v in record.items() if v is not None}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the public documentation's example -----------------------------------------------------


def test_public_inclusion_example_then_delete(ops: Ops) -> None:
    # Given the employee and the reason of the public example
    ops.employees(ANA)
    ops.reason("ATM", "Atestado médico")
    record = {
        "matricula": "00000001",
        "motivo": "Atestado médico",
        "inicio": "2024-01-11T10:00",
        "fim": "2024-01-15T23:00",
        "cod_interno": "w289fdf2",
        "operation": "INS",
    }
    # When it is posted
    response = ops.client.post("/absences", json=[record], headers=ops.company.headers)
    assert response.json()["message"] == "Absences Integration on progress"
    ops.run_worker()
    report = ops.client.get(
        "/process", params={"subunique": response.json()["subunique"]}, headers=ops.company.headers
    ).json()
    # Then it is done and stored
    assert (report["status"], report["data"]["errors"], report["route"]) == ("done", [], ROUTE)
    assert ops.absences() == {
        "w289fdf2": {
            "cod_interno": "w289fdf2",
            "matricula": ANA,
            "motivo": "ATM",
            "inicio": at("2024-01-11T10:00"),
            "fim": at("2024-01-15T23:00"),
        }
    }
    # And a DEL with only the key and the operation removes it
    report = ops.apply(ROUTE, [{"cod_interno": "w289fdf2", "operation": "DEL"}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ops.absences() == {}


# -- operation and key ------------------------------------------------------------------------


def test_operation_is_accepted_in_any_case(ready: Ops) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("a", operation="ins"),
            absence("a", "2024-03-01", "2024-03-02", operation=" Alt "),
            absence("b", operation="iNs"),
            {"cod_interno": "b", "operation": "del"},
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences()["a"]["inicio"] == at("2024-03-01T00:00")
    assert set(ready.absences()) == {"a"}


def test_missing_operation(ready: Ops) -> None:
    report = ready.apply(
        ROUTE,
        [absence("a", operation=None), absence("b", operation="  "), absence("c", operation="")],
    )
    assert report["status"] == "error"
    assert errors(report) == [
        entry(0, ANA, msg.required("operation")),
        entry(1, ANA, msg.required("operation")),
        entry(2, ANA, msg.required("operation")),
    ]
    assert ready.absences() == {}


def test_invalid_operation(ready: Ops) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("a", operation="UPD"),
            absence("b", operation=1),
            absence("c", operation=True),
            absence("d", operation="INSERT"),
        ],
    )
    assert errors(report) == [entry(i, ANA, msg.OPERATION_INVALID) for i in range(4)]


def test_invalid_operation_still_reports_the_other_faults(ready: Ops) -> None:
    report = ready.apply(
        ROUTE, [absence("a", "2024-01-32", operation="X", matricula="77", motivo="?")]
    )
    assert errors(report) == [
        entry(
            0,
            "77",
            msg.OPERATION_INVALID,
            msg.START_DATE_INVALID,
            msg.EMPLOYEE_NOT_FOUND,
            msg.ABSENCE_REASON_NOT_FOUND,
        )
    ]


def test_missing_key(ready: Ops) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence(None),
            absence("   "),
            {"operation": "DEL"},
            # Format errors are reported; lookups (employee, reason) are not.
            absence(None, "2024-01-11T10:61", matricula="999", motivo="Férias"),
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.required("cod_interno")),
        entry(1, ANA, msg.required("cod_interno")),
        entry(2, "", msg.required("cod_interno")),
        entry(3, "999", msg.required("cod_interno"), msg.START_DATE_INVALID),
    ]


def test_missing_key_and_operation(ready: Ops) -> None:
    report = ready.apply(ROUTE, [{"matricula": ANA}])
    assert errors(report) == [entry(0, ANA, msg.required("cod_interno"), msg.required("operation"))]


def test_invalid_key(ready: Ops) -> None:
    report = ready.apply(ROUTE, [absence("x" * 61), absence(True, matricula=None)])
    assert errors(report) == [
        entry(0, ANA, msg.invalid("cod_interno")),
        # An unusable key is a missing key: format errors only, no INS/ALT requirements.
        entry(1, "", msg.invalid("cod_interno")),
    ]


def test_numbers_are_text(ready: Ops) -> None:
    ready.employees("123")
    report = ready.apply(ROUTE, [absence(4711, matricula=123), absence(4711, matricula=None)])
    assert errors(report) == [entry(1, "4711", msg.required("matricula"), msg.INTERNAL_CODE_TAKEN)]
    assert ready.absences()["4711"]["matricula"] == "123"


def test_identifier_is_cod_interno_without_matricula(ready: Ops) -> None:
    report = ready.apply(
        ROUTE,
        [
            absence("k1", matricula=None),
            absence("k2", matricula="  "),
            absence("k3", matricula=[1]),
        ],
    )
    assert errors(report) == [
        entry(0, "k1", msg.required("matricula")),
        entry(1, "k2", msg.required("matricula")),
        entry(2, "k3", msg.invalid("matricula")),
    ]


# -- what INS and ALT need --------------------------------------------------------------------


def test_insert_and_alter_need_every_field(ready: Ops) -> None:
    ready.ok(ROUTE, [absence("old")])
    fields = ("matricula", "motivo", "inicio", "fim")
    report = ready.apply(
        ROUTE,
        [
            {"cod_interno": "new", "operation": "INS"},
            {"cod_interno": "old", "operation": "ALT"},
            {"cod_interno": "new", "operation": "INS", **dict.fromkeys(fields, " ")},
        ],
    )
    required = [msg.required(name) for name in fields]
    assert errors(report) == [
        entry(0, "new", *required),
        entry(1, "old", *required),
        entry(2, "new", *required),
    ]
    assert ready.absences()["old"]["fim"] == at("2024-01-13T00:00")


def test_delete_needs_only_key_and_operation(ready: Ops) -> None:
    ready.ok(ROUTE, [absence("a"), absence("b", "2024-02-01", "2024-02-02")])
    # Whatever else a DEL carries is ignored, also when it would be invalid.
    report = ready.apply(
        ROUTE,
        [
            {"cod_interno": "a", "operation": "DEL"},
            absence("b", "nonsense", [], operation="DEL", matricula="nobody", motivo="?"),
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences() == {}


def test_employee_not_found(ready: Ops, db) -> None:  # type: ignore[no-untyped-def]
    # An employee of another company is not an employee of this one.
    other = new_company(db, "b000202")
    ready.ok("people", [employee("00000009")], other)
    report = ready.apply(ROUTE, [absence("a", matricula="00000009"), absence("b", matricula="9")])
    assert errors(report) == [
        entry(0, "00000009", msg.EMPLOYEE_NOT_FOUND),
        entry(1, "9", msg.EMPLOYEE_NOT_FOUND),
    ]


def test_dismissed_employee_still_receives_absences(ready: Ops) -> None:
    ready.ok("people", [{"matricula": BIA, "dataDemissao": "31/12/2023"}])
    report = ready.apply(ROUTE, [absence("a", "2024-01-10", "2024-01-12", matricula=BIA)])
    assert (report["status"], report["data"]["errors"]) == ("done", [])


def test_reason_matched_by_code_or_description_ignoring_case_and_spaces(ready: Ops) -> None:
    ready.reason("FER", "Férias")
    report = ready.apply(
        ROUTE,
        [
            absence("a", "2024-01-01", "2024-01-01", motivo=" atm "),
            absence("b", "2024-01-02", "2024-01-02", motivo="ATESTADO MÉDICO"),
            absence("c", "2024-01-03", "2024-01-03", motivo="  atestado médico "),
            absence("d", "2024-01-04", "2024-01-04", motivo="férias"),
            absence("e", "2024-01-05", "2024-01-05", motivo="fer"),
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {code: row["motivo"] for code, row in ready.absences().items()} == {
        "a": "ATM",
        "b": "ATM",
        "c": "ATM",
        "d": "FER",
        "e": "FER",
    }


def test_reason_not_found(ready: Ops, db) -> None:  # type: ignore[no-untyped-def]
    other = new_company(db, "b000202")
    ready.reason("LIC", "Licença", company=other)
    report = ready.apply(
        ROUTE,
        [absence("a", motivo="Licença"), absence("b", motivo="AT"), absence("c", motivo=7)],
    )
    assert errors(report) == [entry(i, ANA, msg.ABSENCE_REASON_NOT_FOUND) for i in range(3)]


def test_reason_of_a_wrong_type(ready: Ops) -> None:
    report = ready.apply(ROUTE, [absence("a", motivo={"code": "ATM"})])
    assert errors(report) == [entry(0, ANA, msg.invalid("motivo"))]


# -- dates --------------------------------------------------------------------------------------


def test_invalid_start(ready: Ops) -> None:
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


def test_invalid_end(ready: Ops) -> None:
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


def test_both_dates_invalid(ready: Ops) -> None:
    report = ready.apply(ROUTE, [absence("a", "x", "y")])
    assert errors(report) == [entry(0, ANA, msg.START_DATE_INVALID, msg.END_DATE_INVALID)]


def test_end_must_be_after_start(ready: Ops) -> None:
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


def test_date_only_and_24_00_mean_the_end_of_the_day(ready: Ops) -> None:
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


# -- the key's life cycle -----------------------------------------------------------------------


def test_insert_of_an_existing_code(ready: Ops) -> None:
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


def test_alter_or_delete_of_an_unknown_code(ready: Ops) -> None:
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


def test_insert_then_alter_in_one_batch(ready: Ops) -> None:
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


def test_alter_replaces_a_stored_absence(ready: Ops) -> None:
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


def test_code_is_free_again_after_delete(ready: Ops) -> None:
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


def test_a_failed_record_changes_nothing(ready: Ops) -> None:
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


def test_all_messages_of_a_record_are_reported(ready: Ops) -> None:
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


# -- overlaps -----------------------------------------------------------------------------------


def test_overlapping_records_in_one_batch(ready: Ops) -> None:
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


def test_overlap_with_a_stored_absence(ready: Ops) -> None:
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


def test_touching_intervals_do_not_overlap(ready: Ops) -> None:
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


def test_alter_over_its_own_previous_version(ready: Ops) -> None:
    ready.ok(ROUTE, [absence("a", "2024-01-10", "2024-01-15")])
    report = ready.apply(ROUTE, [absence("a", "2024-01-12", "2024-01-20", operation="ALT")])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert ready.absences()["a"]["fim"] == at("2024-01-21")


def test_alter_onto_another_absence_overlaps(ready: Ops) -> None:
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


def test_deleted_absence_frees_its_time(ready: Ops) -> None:
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


# -- locked periods -----------------------------------------------------------------------------


def test_locked_month_blocks_an_insert_that_touches_it(ready: Ops) -> None:
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


def test_ignora_bloqueio_bypasses_the_lock(ready: Ops) -> None:
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


def test_invalid_ignora_bloqueio(ready: Ops) -> None:
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


def test_lock_applies_to_the_old_interval_of_alter_and_delete(ready: Ops) -> None:
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


def test_lock_of_the_new_interval_of_an_alter(ready: Ops) -> None:
    ready.ok(ROUTE, [absence("a", "2024-03-10", "2024-03-12")])
    ready.lock("2024-02")
    report = ready.apply(ROUTE, [absence("a", "2024-02-28", "2024-03-01", operation="ALT")])
    assert errors(report) == [entry(0, ANA, msg.PERIOD_LOCKED)]


def test_lock_of_december_9999(ready: Ops) -> None:
    ready.lock("9999-12")
    report = ready.apply(ROUTE, [absence("a", "9999-12-30", "9999-12-30T24:00")])
    assert errors(report) == [entry(0, ANA, msg.PERIOD_LOCKED)]


# -- status arithmetic and queries ----------------------------------------------------------


def test_status_arithmetic(ready: Ops) -> None:
    done = ready.apply(ROUTE, [absence("a", "2024-01-01", "2024-01-01"), absence("b")])
    assert (done["status"], done["progress"]) == ("done", {"done": "2", "total": "2"})
    warning = ready.apply(
        ROUTE, [absence("c", "2024-03-01", "2024-03-01"), absence("a"), absence("d", "x")]
    )
    assert (warning["status"], warning["progress"]) == ("warning", {"done": "3", "total": "3"})
    assert [e["index"] for e in warning["data"]["errors"]] == [1, 2]
    failed = ready.apply(ROUTE, [absence("a"), {"operation": "DEL"}])
    assert (failed["status"], failed["progress"]) == ("error", {"done": "2", "total": "2"})
    assert len(failed["data"]["errors"]) == 2


def test_one_query_per_table_per_chunk(ready: Ops) -> None:
    ready.lock("2030-01")
    records = [
        absence(
            f"c{i}", f"2024-01-{i + 1:02d}", f"2024-01-{i + 1:02d}", matricula=(ANA, BIA)[i % 2]
        )
        for i in range(28)
    ]
    subunique = ready.send(ROUTE, records)
    with counting_selects(ready.db) as statements:
        ready.run_worker()
    assert (
        ready.client.get(
            "/process", params={"subunique": subunique}, headers=ready.company.headers
        ).json()["status"]
        == "done"
    )
    for table in ("people", "reasons", "absences", "locked_periods"):
        assert selects_from(statements, table) == 1, (table, statements)
