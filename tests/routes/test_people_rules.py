"""people record rules (SPEC 2.1–2.3), applied by the people service (`harness`); a request
failing whole and a record using every field go end to end through HTTP (`api`). Each case
asserts the exact messages, identifier and index of the entry."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import entry, errors, person

VALID = {"nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
LONG_31 = "M" * 31
NEEDS_ALL = ["Campo obrigatório: nome", "Campo obrigatório: pis", "Campo obrigatório: dataAdmissao"]

# id: (record, identifier in the entry, messages) — records about the key and insert rules
KEY_CASES = {
    "key-missing-reports-format-errors-but-no-insert-requirements": (
        {"nome": "Ana", "cpf": "529.982.247-24", "email": "ana@", "dataAdmissao": "2024-02-01"},
        "",
        [
            "Campo obrigatório: matricula",
            "CPF Inválido",
            "E-mail inválido",
            "Data de admissão inválida",
        ],
    ),
    "empty-record": ({}, "", ["Campo obrigatório: matricula"]),
    "key-blank": ({"matricula": "  "}, "", ["Campo obrigatório: matricula"]),
    "key-null": ({"matricula": None, **VALID}, "", ["Campo obrigatório: matricula"]),
    "key-boolean": ({"matricula": True, **VALID}, "", ["Campo inválido: matricula"]),
    "key-31-chars": ({"matricula": LONG_31}, LONG_31, ["Campo inválido: matricula"]),
    "insert-needs-nome-pis-dataAdmissao": ({"matricula": "1"}, "1", NEEDS_ALL),
    "insert-blank-values-are-missing": (
        {"matricula": " 1 ", "nome": "  ", "pis": "", "dataAdmissao": ""},
        "1",
        NEEDS_ALL,
    ),
    "number-key-and-null-nome": (
        {"matricula": 123, "nome": None, "sem_pis": True, "dataAdmissao": "01/02/2024"},
        "123",
        ["Campo obrigatório: nome"],
    ),
    "previous-matricula-unknown": (
        {"matricula": "2", **VALID, "matricula_anterior": "1"},
        "2",
        ["Matrícula anterior não encontrada"],
    ),
}

# id: (fields added to a valid insert of matrícula "1", messages)
FIELD_CASES = {
    "nome-151-chars": ({"nome": "N" * 151}, ["Campo inválido: nome"]),
    "localizacoes-string": ({"localizacoes": "Loja 1"}, ["Campo inválido: localizacoes"]),
    "localizacoes-object": ({"localizacoes": {"a": "b"}}, ["Campo inválido: localizacoes"]),
    "localizacoes-null-item": ({"localizacoes": ["a", None]}, ["Campo inválido: localizacoes"]),
    "sem_pis-yes": ({"sem_pis": "yes", "pis": "100.00000.01-6"}, ["Campo inválido: sem_pis"]),
    "checkbox-sim": ({"checkbox_nome_social": "sim"}, ["Campo inválido: checkbox_nome_social"]),
    "sem_pis-false-needs-pis": ({"sem_pis": False}, ["Campo obrigatório: pis"]),
    "sem_pis-string-0-needs-pis": ({"sem_pis": " 0 "}, ["Campo obrigatório: pis"]),
    "pis-short": ({"pis": "123"}, ["PIS Inválido"]),
    "pis-check-digit": ({"pis": "100.00000.01-7"}, ["PIS Inválido"]),
    "pis-all-equal": ({"pis": "111.11111.11-1"}, ["PIS Inválido"]),
    "pis-letter": ({"pis": "1000000001a"}, ["PIS Inválido"]),
    "cpf-check-digit": ({"cpf": "529.982.247-24"}, ["CPF Inválido"]),
    "cpf-all-equal": ({"cpf": "111.111.111-11"}, ["CPF Inválido"]),
    "cpf-10-digits": ({"cpf": "5299822472"}, ["CPF Inválido"]),
    "cpf-boolean": ({"cpf": True}, ["CPF Inválido"]),
    **{
        f"email-{email[:20]}": ({"email": email}, ["E-mail inválido"])
        for email in (
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@x@example.com",
            "a" * 243 + "@example.com",
        )
    },
    **{
        f"admission-{day}": ({"dataAdmissao": day}, ["Data de admissão inválida"])
        for day in ("31/02/2024", "2024-02-01", "1/2/2024", "29/02/2023", "01/13/2024")
    },
    **{
        f"dismissal-{day}": ({"dataDemissao": day}, ["Data de demissão inválida"])
        for day in ("31/04/2024", "2024-03-01", "00/03/2024")
    },
    "dismissal-before-admission": (
        {"dataDemissao": "31/01/2024"},
        ["Data de demissão anterior à data de admissão"],
    ),
    "schedule-unknown": ({"escala_padrao": "ESC-01"}, ["Escala não encontrada"]),
    "cost-center-unknown": ({"centro_custo": "CC1"}, ["Centro de custo não encontrado"]),
    "subsidiary-unknown": ({"filial": "11.222.333/0001-81"}, ["Filial não encontrada"]),
    "social-name-needs-registered": (
        {"checkbox_nome_social": True},
        ["Campo obrigatório: nome_registro"],
    ),
    "social-name-blank-registered": (
        {"checkbox_nome_social": "TRUE", "nome_registro": " "},
        ["Campo obrigatório: nome_registro"],
    ),
}

CASES = {
    **KEY_CASES,
    **{
        name: ({"matricula": "1", **VALID, **fields}, "1", messages)
        for name, (fields, messages) in FIELD_CASES.items()
    },
}


@pytest.mark.parametrize(("record", "identifier", "messages"), CASES.values(), ids=CASES.keys())
def test_a_record_breaking_a_rule_fails_with_its_exact_messages(
    harness, record: dict, identifier: str, messages: list[str]
):
    # Given an empty company and a request whose second record breaks the rule
    records = [person("ok"), record]
    # When it is applied
    report = harness.apply("people", records)
    # Then only that record failed, with exactly these messages, and stored nothing
    assert report["status"] == "warning"
    assert errors(report) == [entry(1, identifier, *messages)]
    assert list(harness.people()) == ["ok"]


def test_a_record_failing_several_rules_reports_all_its_messages_in_one_entry(harness):
    # Given a record with five independent faults, between two valid records
    bad = {
        "matricula": "2",
        "nome": "Bia",
        "pis": "123",
        "cpf": "111.111.111-11",
        "email": "bia@",
        "dataAdmissao": "10/02/2024",
        "dataDemissao": "09/02/2024",
        "escala_padrao": "X",
        "centro_custo": "Y",
        "filial": "Z",
    }
    records = [person("1"), bad, person("3")]
    # When the request is applied
    report = harness.apply("people", records)
    # Then that record has one entry holding every message
    assert errors(report) == [
        entry(
            1,
            "2",
            "PIS Inválido",
            "CPF Inválido",
            "E-mail inválido",
            "Data de demissão anterior à data de admissão",
            "Escala não encontrada",
            "Centro de custo não encontrado",
            "Filial não encontrada",
        )
    ]
    assert (report["status"], report["progress"]) == ("warning", {"done": "3", "total": "3"})


def test_every_failed_record_has_its_own_entry_in_input_order(harness):
    # Given a request whose records 0, 2 and 3 fail (3 and 2 share an identifier)
    records = [
        {"matricula": "1"},
        person("2"),
        person("3", cpf="123"),
        person("3", email="x"),
    ]
    # When it is applied
    report = harness.apply("people", records)
    # Then there is one entry per failed record, by index
    assert errors(report) == [
        entry(
            0,
            "1",
            "Campo obrigatório: nome",
            "Campo obrigatório: pis",
            "Campo obrigatório: dataAdmissao",
        ),
        entry(2, "3", "CPF Inválido"),
        entry(3, "3", "E-mail inválido"),
    ]
    assert report["status"] == "warning"


def test_a_request_where_every_record_fails_is_an_error(api):
    report = api.apply("people", [{"matricula": "1"}, {"nome": "Ana"}])
    assert report["status"] == "error"
    assert [(e["index"], e["identifier"]) for e in report["data"]["errors"]] == [(0, "1"), (1, "")]


def test_a_valid_record_is_stored_with_every_field_normalised(api):
    # Given a record using every field, with numbers, separators, spaces and boolean strings
    record = {
        "matricula": 123,
        "nome": "  Ana Nome Social ",
        "nome_registro": "Ana Registro",
        "checkbox_nome_social": " TRUE ",
        "pis": "100.00000.01-6",
        "sem_pis": " 0 ",
        "cpf": "529.982.247-25",
        "email": " Ana.Souza@Example.COM ",
        "matricula_esocial": 98765,
        "dataAdmissao": "01/02/2024",
        "dataDemissao": "01/02/2024",
        "localizacoes": ["Loja 1", 2],
        "cargo": "Analista",
        "campo_desconhecido": {"x": [1, 2]},
        "filial": None,
    }
    # When it is applied
    report = api.apply("people", [record])
    # Then it succeeded and every column holds the normalised value
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert api.people() == {
        "123": {
            "matricula": "123",
            "nome": "Ana Nome Social",
            "nome_registro": "Ana Registro",
            "nome_social": True,
            "pis": "10000000016",
            "sem_pis": False,
            "cpf": "52998224725",
            "email": "Ana.Souza@Example.COM",
            "email_key": "ana.souza@example.com",
            "matricula_esocial": "98765",
            "data_admissao": dt.date(2024, 2, 1),
            "data_demissao": dt.date(2024, 2, 1),
            "localizacoes": '["Loja 1","2"]',
            "escala_padrao": None,
            "centro_custo": None,
            "filial": None,
            "cargo": "Analista",
        }
    }


@pytest.mark.parametrize(
    ("flags", "stored"),
    [
        ({"sem_pis": "TRUE", "checkbox_nome_social": " 0 "}, (True, False, None)),
        ({"sem_pis": " true", "checkbox_nome_social": "False"}, (True, False, None)),
        ({"sem_pis": True, "checkbox_nome_social": None}, (True, False, None)),
        (
            {
                "sem_pis": "FALSE",
                "pis": "10000000016",
                "checkbox_nome_social": " 1 ",
                "nome_registro": "Registro",
            },
            (False, True, "10000000016"),
        ),
        (
            {"sem_pis": "", "pis": "10000000016", "checkbox_nome_social": ""},
            (False, False, "10000000016"),
        ),
    ],
)
def test_boolean_strings_are_accepted_and_sem_pis_waives_pis(harness, flags: dict, stored):
    # Given an insert whose flags are sent in the forms SPEC 2.1 allows
    record = {"matricula": "1", "nome": "Ana", "dataAdmissao": "01/02/2024", **flags}
    # When it is applied
    report = harness.apply("people", [record])
    # Then it succeeded with the flags read as booleans (and PIS waived when sem_pis is true)
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    row = harness.people()["1"]
    assert (row["sem_pis"], row["nome_social"], row["pis"]) == stored


def test_the_longest_allowed_values_are_accepted(harness):
    record = {
        "matricula": "M" * 30,
        "nome": "N" * 150,
        "sem_pis": True,
        "dataAdmissao": "29/02/2024",
    }
    report = harness.apply("people", [record])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people()["M" * 30]["nome"] == "N" * 150
