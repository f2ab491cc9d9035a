"""POST /absences (SPEC 2.4): what INS and ALT need: the fields, an employee and a reason of the
company.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, BIA, absence, at, employee, entry, errors
from tests.harness import Harness
from tests.tenants import Tenant

ROUTE = "absences"


def test_insert_and_alter_need_every_field(ready: Harness) -> None:
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


def test_delete_needs_only_key_and_operation(ready: Harness) -> None:
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


def test_employee_not_found(ready: Harness, other_company: Tenant) -> None:
    # An employee of another company is not an employee of this one.
    ready.ok("people", [employee("00000009")], other_company)
    report = ready.apply(ROUTE, [absence("a", matricula="00000009"), absence("b", matricula="9")])
    assert errors(report) == [
        entry(0, "00000009", msg.EMPLOYEE_NOT_FOUND),
        entry(1, "9", msg.EMPLOYEE_NOT_FOUND),
    ]


def test_dismissed_employee_still_receives_absences(ready: Harness) -> None:
    ready.ok("people", [{"matricula": BIA, "dataDemissao": "31/12/2023"}])
    report = ready.apply(ROUTE, [absence("a", "2024-01-10", "2024-01-12", matricula=BIA)])
    assert (report["status"], report["data"]["errors"]) == ("done", [])


def test_reason_matched_by_code_or_description_ignoring_case_and_spaces(ready: Harness) -> None:
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


def test_reason_not_found(ready: Harness, other_company: Tenant) -> None:
    ready.reason("LIC", "Licença", tenant=other_company)
    report = ready.apply(
        ROUTE,
        [absence("a", motivo="Licença"), absence("b", motivo="AT"), absence("c", motivo=7)],
    )
    assert errors(report) == [entry(i, ANA, msg.ABSENCE_REASON_NOT_FOUND) for i in range(3)]


def test_reason_of_a_wrong_type(ready: Harness) -> None:
    report = ready.apply(ROUTE, [absence("a", motivo={"code": "ATM"})])
    assert errors(report) == [entry(0, ANA, msg.invalid("motivo"))]
