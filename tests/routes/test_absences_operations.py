"""POST /absences (SPEC 2.4): the public documentation's example (end to end through HTTP), the
operation and the key.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from itg.domain import messages as msg
from tests.builders import ANA, absence, at, entry, errors
from tests.driving import Driver
from tests.harness import Harness

ROUTE = "absences"


# -- the public documentation's example -----------------------------------------------------


def test_public_inclusion_example_then_delete(api: Driver) -> None:
    # Given the employee and the reason of the public example
    api.employees(ANA)
    api.reason("ATM", "Atestado médico")
    record = {
        "matricula": "00000001",
        "motivo": "Atestado médico",
        "inicio": "2024-01-11T10:00",
        "fim": "2024-01-15T23:00",
        "cod_interno": "w289fdf2",
        "operation": "INS",
    }
    # When it is posted
    response = api.client.post("/absences", json=[record], headers=api.tenant.headers)
    assert response.json()["message"] == "Absences Integration on progress"
    api.run_worker()
    report = api.client.get(
        "/process", params={"subunique": response.json()["subunique"]}, headers=api.tenant.headers
    ).json()
    # Then it is done and stored
    assert (report["status"], report["data"]["errors"], report["route"]) == ("done", [], ROUTE)
    assert api.absences() == {
        "w289fdf2": {
            "cod_interno": "w289fdf2",
            "matricula": ANA,
            "motivo": "ATM",
            "inicio": at("2024-01-11T10:00"),
            "fim": at("2024-01-15T23:00"),
        }
    }
    # And a DEL with only the key and the operation removes it
    report = api.apply(ROUTE, [{"cod_interno": "w289fdf2", "operation": "DEL"}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert api.absences() == {}


# -- operation and key ------------------------------------------------------------------------


def test_operation_is_accepted_in_any_case(ready: Harness) -> None:
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


def test_missing_operation(ready: Harness) -> None:
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


def test_invalid_operation(ready: Harness) -> None:
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


def test_invalid_operation_still_reports_the_other_faults(ready: Harness) -> None:
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


def test_missing_key(ready: Harness) -> None:
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


def test_missing_key_and_operation(ready: Harness) -> None:
    report = ready.apply(ROUTE, [{"matricula": ANA}])
    assert errors(report) == [entry(0, ANA, msg.required("cod_interno"), msg.required("operation"))]


def test_invalid_key(ready: Harness) -> None:
    report = ready.apply(ROUTE, [absence("x" * 61), absence(True, matricula=None)])
    assert errors(report) == [
        entry(0, ANA, msg.invalid("cod_interno")),
        # An unusable key is a missing key: format errors only, no INS/ALT requirements.
        entry(1, "", msg.invalid("cod_interno")),
    ]


def test_numbers_are_text(ready: Harness) -> None:
    ready.employees("123")
    report = ready.apply(ROUTE, [absence(4711, matricula=123), absence(4711, matricula=None)])
    assert errors(report) == [entry(1, "4711", msg.required("matricula"), msg.INTERNAL_CODE_TAKEN)]
    assert ready.absences()["4711"]["matricula"] == "123"


def test_identifier_is_cod_interno_without_matricula(ready: Harness) -> None:
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
