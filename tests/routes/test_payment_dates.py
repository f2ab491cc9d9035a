"""paymentDate (SPEC 2.8): upsert by (ano, mes, localizacao), DEL, every message with its
identifier ("ano-mes" as sent) and index, applied by the service (`harness`); the accepted
message, the documented life of a payment date and the status arithmetic end to end through
HTTP (`api`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from itg.storage.schema import payment_dates
from tests.builders import entry, errors, payment
from tests.driving import recording_statements, selects_from

ROUTE = "paymentDate"


def stored(ano: int, mes: int, when: date, localizacao: str = "") -> dict[str, Any]:
    return {"ano": ano, "mes": mes, "localizacao": localizacao, "data_pagamento": when}


def test_the_route_answers_with_its_accepted_message(client, tenant):
    response = client.post(f"/{ROUTE}", json=[payment("2024", "3")], headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["message"] == "Payment date Integration on progress"


def test_insert_update_other_location_and_delete(api):
    # Insert for the whole company, with ano and mes as JSON numbers
    api.ok(ROUTE, [payment(2024, 3)])
    assert api.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 5))]
    # Update: "03" is the same month
    api.ok(ROUTE, [payment("2024", "03", "2024-04-06")])
    assert api.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 6))]
    # Another location is another row; a blank localizacao is the whole company
    api.ok(
        ROUTE,
        [
            payment("2024", "3", "2024-04-10", localizacao=" Loja 1 "),
            payment("2024", "3", "2024-04-07", localizacao=""),
        ],
    )
    assert api.rows(payment_dates) == [
        stored(2024, 3, date(2024, 4, 7)),
        stored(2024, 3, date(2024, 4, 10), "Loja 1"),
    ]
    # DEL (any case) removes only its own location and needs no dataPagamento
    api.ok(ROUTE, [{"ano": "2024", "mes": "3", "localizacao": "Loja 1", "operation": "del"}])
    assert api.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 7))]
    api.ok(ROUTE, [{"ano": 2024, "mes": 3, "operation": " DEL "}])
    assert api.rows(payment_dates) == []


def test_an_empty_operation_is_an_upsert(harness):
    harness.ok(ROUTE, [payment("2024", "12", operation=""), payment("2025", "1", operation=None)])
    assert harness.rows(payment_dates) == [
        stored(2024, 12, date(2024, 4, 5)),
        stored(2025, 1, date(2024, 4, 5)),
    ]


def test_missing_ano_or_mes_is_required_and_the_identifier_joins_what_was_sent(harness):
    found = harness.fails(
        ROUTE,
        [
            payment(None, "3"),
            payment("2024", None),
            payment(None, None),
            payment(" ", "", when="05/04/2024"),
            {"mes": 7, "localizacao": ["Loja"]},  # no dataPagamento: not reported without a key
        ],
    )
    assert found == [
        entry(0, "-3", "Campo obrigatório: ano"),
        entry(1, "2024-", "Campo obrigatório: mes"),
        entry(2, "", "Campo obrigatório: ano", "Campo obrigatório: mes"),
        entry(
            3,
            "",
            "Campo obrigatório: ano",
            "Campo obrigatório: mes",
            "Data de pagamento inválida",
        ),
        entry(4, "-7", "Campo obrigatório: ano", "Campo inválido: localizacao"),
    ]


@pytest.mark.parametrize(
    ("ano", "mes", "identifier"),
    [
        ("24", "3", "24-3"),
        ("20245", "3", "20245-3"),
        ("0000", "3", "0000-3"),
        ("2024", "13", "2024-13"),
        ("2024", "0", "2024-0"),
        ("2024", "00", "2024-00"),
        ("2024", "003", "2024-003"),
        ("2024", "3.0", "2024-3.0"),
        (2024.5, 3, "2024.5-3"),
        ("２０２４", "3", "２０２４-3"),  # full-width digits are not digits here
        ("abcd", "mar", "abcd-mar"),
        (True, "3", "-3"),
        ("2024", ["3"], "2024-"),
    ],
)
def test_an_invalid_competence(harness, ano, mes, identifier):
    # An invalid key also hides the insert-only requirement of dataPagamento
    found = harness.fails(ROUTE, [payment(ano, mes, when=None)])
    assert found == [entry(0, identifier, "Competência inválida")]


@pytest.mark.parametrize(
    "when", ["05/04/2024", "2024-4-5", "2024-02-30", "2024-04-05T10:00", "amanhã", 20240405]
)
def test_an_invalid_payment_date(harness, when):
    found = harness.fails(ROUTE, [payment("2024", "3", when=when)])
    assert found == [entry(0, "2024-3", "Data de pagamento inválida")]
    assert harness.rows(payment_dates) == []


def test_data_pagamento_is_required_on_insert_and_cannot_be_blanked(harness):
    harness.ok(ROUTE, [payment("2024", "3")])
    found = harness.fails(
        ROUTE,
        [
            payment("2024", "4", when=None),
            payment("2024", "3", when=" "),
            payment("2024", "3", when=None, localizacao="Loja 2"),
        ],
    )
    assert found == [
        entry(0, "2024-4", "Campo obrigatório: dataPagamento"),
        entry(1, "2024-3", "Campo obrigatório: dataPagamento"),
        entry(2, "2024-3", "Campo obrigatório: dataPagamento"),
    ]
    # An update without dataPagamento changes nothing but succeeds
    harness.ok(ROUTE, [payment("2024", "3", when=None)])
    assert harness.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 5))]


@pytest.mark.parametrize("operation", ["INS", "ALT", "DELETE", "X", True])
def test_an_invalid_operation(harness, operation):
    found = harness.fails(ROUTE, [payment("2024", "3", operation=operation)])
    assert found == [entry(0, "2024-3", "Operação inválida")]
    assert harness.rows(payment_dates) == []


@pytest.mark.parametrize("localizacao", [["Loja 1"], {"nome": "Loja 1"}, False, "x" * 151])
def test_an_invalid_localizacao(harness, localizacao):
    found = harness.fails(ROUTE, [payment("2024", "3", localizacao=localizacao, when=None)])
    # The key is unknown, so the missing dataPagamento (insert-only) is not reported
    assert found == [entry(0, "2024-3", "Campo inválido: localizacao")]


def test_delete_of_an_absent_payment_date_is_not_found(harness):
    harness.ok(ROUTE, [payment("2024", "3", localizacao="Loja 1")])
    found = harness.fails(
        ROUTE,
        [
            {"ano": "2024", "mes": "3", "operation": "DEL"},  # the whole company: absent
            {"ano": "2024", "mes": "4", "localizacao": "Loja 1", "operation": "DEL"},
            {"ano": "2024", "mes": "3", "localizacao": "loja 1", "operation": "DEL"},
        ],
    )
    assert found == [
        entry(0, "2024-3", "Data de pagamento não encontrada"),
        entry(1, "2024-4", "Data de pagamento não encontrada"),
        entry(2, "2024-3", "Data de pagamento não encontrada"),
    ]
    assert harness.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 5), "Loja 1")]


def test_a_delete_ignores_the_other_fields(harness):
    harness.ok(ROUTE, [payment("2024", "3")])
    harness.ok(ROUTE, [{"ano": "2024", "mes": "3", "dataPagamento": "ontem", "operation": "DEL"}])
    assert harness.rows(payment_dates) == []


def test_every_message_of_a_record_is_reported_and_the_record_changes_nothing(harness):
    harness.ok(ROUTE, [payment("2024", "3")])
    found = harness.fails(ROUTE, [payment("2024", "3", when="31/03/2024", operation="UPD")])
    assert found == [entry(0, "2024-3", "Data de pagamento inválida", "Operação inválida")]
    assert harness.rows(payment_dates) == [stored(2024, 3, date(2024, 4, 5))]


def test_records_of_one_key_in_one_batch_are_upserts(harness):
    harness.ok(
        ROUTE,
        [
            payment("2024", "3", "2024-04-01"),
            payment(2024, "03", "2024-04-02"),
            payment("2024", "5", "2024-06-01"),
            {"ano": "2024", "mes": "05", "operation": "DEL"},
            payment("2024", "5", "2024-06-03"),
        ],
    )
    assert harness.rows(payment_dates) == [
        stored(2024, 3, date(2024, 4, 2)),
        stored(2024, 5, date(2024, 6, 3)),
    ]
    report = harness.apply(
        ROUTE,
        [
            {"ano": "2024", "mes": "3", "operation": "DEL"},
            {"ano": "2024", "mes": "3", "operation": "DEL"},
        ],
    )
    assert errors(report) == [entry(1, "2024-3", "Data de pagamento não encontrada")]


def test_payment_dates_belong_to_their_company(harness, other_company):
    harness.ok(ROUTE, [payment("2024", "3")], tenant=other_company)
    found = harness.fails(ROUTE, [{"ano": "2024", "mes": "3", "operation": "DEL"}])
    assert found == [entry(0, "2024-3", "Data de pagamento não encontrada")]
    assert harness.rows(payment_dates, other_company) == [stored(2024, 3, date(2024, 4, 5))]


@pytest.mark.parametrize(
    ("records", "status"),
    [
        ([payment("2024", "1"), payment("2024", "2"), payment("2024", "3")], "done"),
        ([payment("2024", "1"), payment("2024", "13"), payment("2024", "3")], "warning"),
        ([payment("24", "1"), payment("2024", "2", "x"), {"mes": "3"}], "error"),
    ],
)
def test_status_arithmetic(api, records, status):
    report = api.apply(ROUTE, records)
    assert report["status"] == status
    assert report["progress"] == {"done": "3", "total": "3"}
    assert len(report["data"]["errors"]) == {"done": 0, "warning": 1, "error": 3}[status]


def test_a_chunk_reads_the_payment_dates_with_one_query(harness, db):
    records = [payment(str(2000 + n // 12), str(n % 12 + 1)) for n in range(130)]
    with recording_statements(db) as statements:
        harness.ok(ROUTE, records)
    assert selects_from(statements, "payment_dates") == 2
    assert len(harness.rows(payment_dates)) == 130
