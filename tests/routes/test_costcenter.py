"""costcenter records (SPEC 2.5): upsert by `codigo`, applied by the service (`harness`); the
public example and a request failing whole end to end through HTTP (`api`)."""

from __future__ import annotations

import pytest

from tests.builders import entry, errors


def test_the_public_example_is_applied(api):
    # Given the two-record example of the public documentation
    records = [
        {"codigo": "1", "nome": "Centro de custo 1"},
        {"codigo": "2", "nome": "Centro de custo 2"},
    ]
    # When it is posted and applied
    report = api.apply("costcenter", records)
    # Then both cost centers exist
    assert (report["status"], report["route"], report["data"]["errors"]) == (
        "done",
        "costcenter",
        [],
    )
    assert report["progress"] == {"done": "2", "total": "2"}
    assert api.cost_centers() == {"1": "Centro de custo 1", "2": "Centro de custo 2"}


def test_an_existing_cost_center_is_renamed(harness):
    # Given a stored cost center
    harness.apply(
        "costcenter", [{"codigo": "CC1", "nome": "Antigo"}, {"codigo": "CC2", "nome": "B"}]
    )
    # When it is sent again with another name (code and name padded with spaces),
    # and once more with only its code
    report = harness.apply(
        "costcenter", [{"codigo": " CC1 ", "nome": "  Novo  "}, {"codigo": "CC2"}]
    )
    # Then it was updated in place; the code alone changes nothing
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.cost_centers() == {"CC1": "Novo", "CC2": "B"}


def test_a_number_code_becomes_its_text(harness):
    report = harness.apply("costcenter", [{"codigo": 10, "nome": "Dez"}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.cost_centers() == {"10": "Dez"}


def test_an_insert_then_an_update_in_one_batch(harness):
    records = [{"codigo": "A", "nome": "Primeiro"}, {"codigo": "A", "nome": "Segundo"}]
    report = harness.apply("costcenter", records)
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.cost_centers() == {"A": "Segundo"}


@pytest.mark.parametrize(
    ("record", "identifier", "messages"),
    [
        ({"nome": "Sem código"}, "", ["Campo obrigatório: codigo"]),
        ({"codigo": "", "nome": "X"}, "", ["Campo obrigatório: codigo"]),
        ({"codigo": None}, "", ["Campo obrigatório: codigo"]),
        ({"codigo": "C" * 31, "nome": "X"}, "C" * 31, ["Campo inválido: codigo"]),
        ({"codigo": "C" * 31}, "C" * 31, ["Campo inválido: codigo"]),
        ({"codigo": False, "nome": "X"}, "", ["Campo inválido: codigo"]),
        ({"codigo": "NEW"}, "NEW", ["Campo obrigatório: nome"]),
        ({"codigo": "NEW", "nome": " "}, "NEW", ["Campo obrigatório: nome"]),
        ({"codigo": "NEW", "nome": None}, "NEW", ["Campo obrigatório: nome"]),
        ({"codigo": "NEW", "nome": "N" * 151}, "NEW", ["Campo inválido: nome"]),
        ({"codigo": "NEW", "nome": ["X"]}, "NEW", ["Campo inválido: nome"]),
        ({"codigo": "OLD", "nome": ""}, "OLD", ["Campo obrigatório: nome"]),
        (
            {"codigo": "", "nome": "N" * 151},
            "",
            ["Campo obrigatório: codigo", "Campo inválido: nome"],
        ),
    ],
)
def test_a_record_breaking_a_rule_fails_with_its_exact_messages(
    harness, record: dict, identifier: str, messages: list[str]
):
    # Given a stored cost center "OLD"
    harness.apply("costcenter", [{"codigo": "OLD", "nome": "Velho"}])
    # When a request's second record breaks a rule
    report = harness.apply("costcenter", [{"codigo": "OK", "nome": "Certo"}, record])
    # Then only that record failed, with exactly these messages, and changed nothing
    assert report["status"] == "warning"
    assert errors(report) == [entry(1, identifier, *messages)]
    assert harness.cost_centers() == {"OLD": "Velho", "OK": "Certo"}


def test_the_longest_values_are_accepted(harness):
    report = harness.apply("costcenter", [{"codigo": "C" * 30, "nome": "N" * 150}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.cost_centers() == {"C" * 30: "N" * 150}


def test_the_same_code_in_two_companies_are_two_cost_centers(harness, other_company):
    harness.apply("costcenter", [{"codigo": "1", "nome": "Da primeira"}])
    report = harness.apply(
        "costcenter", [{"codigo": "1", "nome": "Da segunda"}], tenant=other_company
    )
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.cost_centers() == {"1": "Da primeira"}
    assert harness.cost_centers(other_company) == {"1": "Da segunda"}


def test_a_request_where_every_record_fails_is_an_error(api):
    report = api.apply("costcenter", [{"nome": "A"}, {"codigo": "B"}])
    assert report["status"] == "error"
    assert errors(report) == [
        entry(0, "", "Campo obrigatório: codigo"),
        entry(1, "B", "Campo obrigatório: nome"),
    ]
