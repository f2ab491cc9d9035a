"""POST /anticipate (SPEC 2.8): every rule and message, applied by the advances service (the
`ready` harness below: employees ANA and BIA); the documented life of an advance and the status
arithmetic end to end through HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from itg.domain import messages as msg
from tests.builders import ANA, BIA, advance, employee, entry, errors
from tests.driving import Driver, recording_statements, selects_from
from tests.harness import Harness
from tests.tables import Tables
from tests.tenants import Tenant

ROUTE = "anticipate"


@pytest.fixture
def ready(harness: Harness) -> Harness:
    """The harness with two employees, ANA and BIA (no absence reason: advances need none)."""
    harness.employees(ANA, BIA)
    return harness


def stored(matricula: str, day: str, amount: str) -> dict[str, Any]:
    return {"matricula": matricula, "data": date.fromisoformat(day), "valor": Decimal(amount)}


def advances(tables: Tables) -> dict[str, dict[str, Any]]:
    return {
        code: {k: v for k, v in row.items() if k != "cod_interno"}
        for code, row in tables.advances().items()
    }


def test_insert_alter_delete_through_the_api(ready: Harness, api: Driver) -> None:
    # Given an advance sent with INS
    response = api.client.post("/anticipate", json=[advance("adv-1")], headers=api.tenant.headers)
    assert response.json()["message"] == "Anticipate Integration on progress"
    api.run_worker()
    report = api.client.get(
        "/process",
        params={"subunique": response.json()["subunique"]},
        headers=api.tenant.headers,
    ).json()
    # Then it is stored
    assert (report["status"], report["data"]["errors"], report["route"]) == ("done", [], ROUTE)
    assert advances(api) == {"adv-1": stored(ANA, "2024-03-15", "150.50")}
    # When an ALT replaces it
    api.ok(ROUTE, [advance("adv-1", 99.9, "2024-04-01", operation="ALT", matricula=BIA)])
    assert advances(api) == {"adv-1": stored(BIA, "2024-04-01", "99.90")}
    # And a DEL with only the key and the operation removes it
    api.ok(ROUTE, [{"cod_interno": "adv-1", "operation": "DEL"}])
    assert advances(api) == {}


def test_operation_in_any_case_and_insert_then_alter_in_one_batch(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            advance("a", "10", operation="ins"),
            advance("a", "20", operation=" alt "),
            advance("b", "30", operation="Ins"),
            {"cod_interno": "b", "operation": "dEl"},
            advance("b", "40"),  # the key is free again after DEL
        ],
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert advances(ready) == {
        "a": stored(ANA, "2024-03-15", "20.00"),
        "b": stored(ANA, "2024-03-15", "40.00"),
    }


def test_missing_or_invalid_operation(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            advance("a", operation=None),
            advance("b", operation=" "),
            advance("c", operation="UPSERT"),
            advance("d", operation=["INS"]),
        ],
    )
    assert report["status"] == "error"
    assert errors(report) == [
        entry(0, ANA, msg.required("operation")),
        entry(1, ANA, msg.required("operation")),
        entry(2, ANA, msg.OPERATION_INVALID),
        entry(3, ANA, msg.OPERATION_INVALID),
    ]


def test_missing_key(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [
            advance(None),
            {"operation": "DEL"},
            advance("", "0", "2024-02-30", matricula="unknown"),  # formats only, no lookups
            {"matricula": BIA},
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.required("cod_interno")),
        entry(1, "", msg.required("cod_interno")),
        entry(2, "unknown", msg.required("cod_interno"), msg.AMOUNT_INVALID, msg.invalid("data")),
        entry(3, BIA, msg.required("cod_interno"), msg.required("operation")),
    ]


def test_insert_and_alter_need_matricula_data_and_valor(ready: Harness) -> None:
    ready.ok(ROUTE, [advance("old")])
    report = ready.apply(
        ROUTE,
        [
            {"cod_interno": "new", "operation": "INS"},
            {"cod_interno": "old", "operation": "ALT"},
            {"cod_interno": "new", "operation": "INS", "matricula": "", "data": " ", "valor": ""},
        ],
    )
    required = [msg.required(name) for name in ("matricula", "data", "valor")]
    assert errors(report) == [
        entry(0, "new", *required),
        entry(1, "old", *required),
        entry(2, "new", *required),
    ]
    assert advances(ready) == {"old": stored(ANA, "2024-03-15", "150.50")}


def test_delete_ignores_every_other_field(ready: Harness) -> None:
    ready.ok(ROUTE, [advance("a")])
    report = ready.apply(ROUTE, [advance("a", "abc", "never", operation="DEL", matricula="x")])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert advances(ready) == {}


def test_employee_not_found(ready: Harness, other_company: Tenant) -> None:
    ready.ok("people", [employee("00000009")], other_company)
    report = ready.apply(
        ROUTE, [advance("a", matricula="00000009"), advance("b", matricula=1), advance("c")]
    )
    assert report["status"] == "warning"
    assert errors(report) == [
        entry(0, "00000009", msg.EMPLOYEE_NOT_FOUND),
        entry(1, "1", msg.EMPLOYEE_NOT_FOUND),
    ]


def test_identifier_is_cod_interno_without_matricula(ready: Harness) -> None:
    report = ready.apply(
        ROUTE,
        [advance("k1", matricula=None), advance("k2", matricula=False), advance(77, matricula=" ")],
    )
    assert errors(report) == [
        entry(0, "k1", msg.required("matricula")),
        entry(1, "k2", msg.invalid("matricula")),
        entry(2, "77", msg.required("matricula")),
    ]


def test_invalid_data(ready: Harness) -> None:
    days = ["15/03/2024", "2024-02-30", "2024-3-15", "2024-03-15T00:00", 20240315, True]
    report = ready.apply(ROUTE, [advance(f"c{i}", data=day) for i, day in enumerate(days)])
    assert errors(report) == [entry(i, ANA, msg.invalid("data")) for i in range(len(days))]


def test_valid_amounts(ready: Harness) -> None:
    amounts = ["1", "1,5", "1.50", " 2,05 ", 3, 3.25, "999999999999.99", "0,01"]
    ready.ok(ROUTE, [advance(f"c{i}", amount) for i, amount in enumerate(amounts)])
    assert {code: row["valor"] for code, row in advances(ready).items()} == {
        "c0": Decimal("1.00"),
        "c1": Decimal("1.50"),
        "c2": Decimal("1.50"),
        "c3": Decimal("2.05"),
        "c4": Decimal("3.00"),
        "c5": Decimal("3.25"),
        "c6": Decimal("999999999999.99"),
        "c7": Decimal("0.01"),
    }


def test_invalid_amount(ready: Harness) -> None:
    amounts = [
        "0",
        "0,00",
        "-10",
        "1.234,56",
        "1,234.5",
        "10,123",
        "R$ 10",
        "abc",
        "1000000000000",  # does not fit Numeric(14, 2)
        True,
        -5,
        1e12,  # a number past Numeric(14, 2); from 2^53 on it is `Campo inválido` (SPEC 6)
    ]
    report = ready.apply(ROUTE, [advance(f"c{i}", amount) for i, amount in enumerate(amounts)])
    assert errors(report) == [entry(i, ANA, msg.AMOUNT_INVALID) for i in range(len(amounts))]
    assert advances(ready) == {}


def test_insert_of_an_existing_code(ready: Harness) -> None:
    ready.ok(ROUTE, [advance("a")])
    report = ready.apply(ROUTE, [advance("a", "5"), advance("b", "6"), advance("b", "7")])
    assert errors(report) == [
        entry(0, ANA, msg.INTERNAL_CODE_TAKEN),
        entry(2, ANA, msg.INTERNAL_CODE_TAKEN),
    ]
    assert advances(ready)["b"]["valor"] == Decimal("6.00")


def test_alter_or_delete_of_an_unknown_code(ready: Harness) -> None:
    ready.ok(ROUTE, [advance("a")])
    report = ready.apply(
        ROUTE,
        [
            advance("x", operation="ALT"),
            {"cod_interno": "x", "operation": "DEL"},
            {"cod_interno": "a", "operation": "DEL"},
            {"cod_interno": "a", "operation": "DEL", "matricula": ANA},  # deleted just before
        ],
    )
    assert errors(report) == [
        entry(0, ANA, msg.ADVANCE_NOT_FOUND),
        entry(1, "x", msg.ADVANCE_NOT_FOUND),
        entry(3, ANA, msg.ADVANCE_NOT_FOUND),
    ]


def test_all_messages_of_a_record_and_nothing_changes(ready: Harness) -> None:
    ready.ok(ROUTE, [advance("a")])
    report = ready.apply(
        ROUTE,
        [
            advance("a", "-1", "2024-13-01", matricula="nobody"),
            advance("a", "1", operation="ALT", matricula="nobody"),
        ],
    )
    assert errors(report) == [
        entry(
            0,
            "nobody",
            msg.INTERNAL_CODE_TAKEN,
            msg.EMPLOYEE_NOT_FOUND,
            msg.AMOUNT_INVALID,
            msg.invalid("data"),
        ),
        entry(1, "nobody", msg.EMPLOYEE_NOT_FOUND),
    ]
    assert advances(ready) == {"a": stored(ANA, "2024-03-15", "150.50")}


def test_status_arithmetic(ready: Harness, api: Driver) -> None:
    done = api.apply(ROUTE, [advance("a"), advance("b")])
    assert (done["status"], done["progress"]) == ("done", {"done": "2", "total": "2"})
    warning = api.apply(ROUTE, [advance("a"), advance("c"), advance("d", "x")])
    assert (warning["status"], warning["progress"]) == ("warning", {"done": "3", "total": "3"})
    assert [e["index"] for e in warning["data"]["errors"]] == [0, 2]
    failed = api.apply(ROUTE, [{"operation": "DEL"}])
    assert (failed["status"], failed["progress"]) == ("error", {"done": "1", "total": "1"})
    assert errors(failed) == [entry(0, "", msg.required("cod_interno"))]


def test_one_query_per_table_per_chunk(ready: Harness) -> None:
    records = [advance(f"c{i}", i + 1, matricula=(ANA, BIA)[i % 2]) for i in range(30)]
    with recording_statements(ready.db) as statements:
        report = ready.apply(ROUTE, records)
    assert report["status"] == "done"
    for table in ("people", "advances"):
        assert selects_from(statements, table) == 1, (table, statements)
