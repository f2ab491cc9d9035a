"""people updates and references (SPEC 2.1, 2.3): partial updates, dates over stored values,
an insert then an update in one batch, failed records changing nothing, and lookups of
schedules, cost centers and subsidiaries. Applied by the services (`harness`); the order of
two requests of one company goes through HTTP and the queue (`api`)."""

from __future__ import annotations

import datetime as dt

import pytest

from itg.domain.catalog import CatalogKind
from itg.storage.catalogs import add_entry
from tests.builders import cpf, entry, errors, person, pis


@pytest.fixture
def ana(harness) -> dict:
    """A stored person with every optional field set; returns its stored row."""
    harness.apply("costcenter", [{"codigo": "CC1", "nome": "Centro 1"}])
    record = person(
        "1",
        nome="Ana",
        cpf=cpf(1),
        pis=pis(1),
        sem_pis=False,
        email="ana@example.com",
        matricula_esocial="E1",
        localizacoes=["Loja 1"],
        centro_custo="CC1",
        cargo="Analista",
    )
    report = harness.apply("people", [record])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    return harness.people()["1"]


def test_an_update_with_only_the_key_and_one_field_keeps_the_others(harness, ana):
    # When a stored person is updated with only its job title
    report = harness.apply("people", [{"matricula": "1", "cargo": "Gerente"}])
    # Then the title changed and every other field was kept (no insert requirement applied)
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people() == {"1": {**ana, "cargo": "Gerente"}}


def test_null_counts_as_absent_on_update(harness, ana):
    # When an update sends nulls for fields that hold values
    record = {"matricula": "1", "nome": None, "cpf": None, "email": None, "dataAdmissao": None}
    report = harness.apply("people", [record])
    # Then nothing was cleared
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people() == {"1": ana}


def test_blank_optional_fields_clear_them_and_a_blank_name_is_refused(harness, ana):
    # When one update blanks optional fields, and another blanks the name
    report = harness.apply(
        "people",
        [
            {"matricula": "1", "cargo": " ", "centro_custo": "", "matricula_esocial": ""},
            {"matricula": "1", "nome": "", "cargo": "Diretora"},
        ],
    )
    # Then the optional fields are cleared, and the blank name fails the second record
    assert errors(report) == [entry(1, "1", "Campo obrigatório: nome")]
    assert harness.people() == {
        "1": {**ana, "cargo": None, "centro_custo": None, "matricula_esocial": None}
    }


def test_unknown_fields_are_ignored(harness, ana):
    # When an update carries only fields people do not have (one named like another route's)
    record = {"matricula": "1", "operation": "DEL", "apelido": "Aninha", "extra": {"a": [1]}}
    report = harness.apply("people", [record])
    # Then it succeeds and changes nothing
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people() == {"1": ana}


def test_a_failed_update_changes_nothing(harness, ana):
    # When an update carries valid changes and one invalid field
    record = {"matricula": "1", "nome": "Ana Maria", "cargo": "Gerente", "cpf": "123"}
    report = harness.apply("people", [record])
    # Then it fails and the stored person is exactly as before
    assert errors(report) == [entry(0, "1", "CPF Inválido")]
    assert harness.people() == {"1": ana}


def test_an_insert_then_an_update_of_the_same_matricula_in_one_batch(harness):
    # Given one batch inserting a person and then updating it twice
    records = [
        person("7", cargo="Estagiária"),
        {"matricula": "7", "cargo": "Analista", "cpf": cpf(7)},
        {"matricula": " 7 ", "email": "sete@example.com"},
    ]
    # When it is applied
    report = harness.apply("people", records)
    # Then one person holds the sum of the three records
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    stored = harness.people()
    assert list(stored) == ["7"]
    assert (stored["7"]["cargo"], stored["7"]["cpf"], stored["7"]["email"]) == (
        "Analista",
        cpf(7),
        "sete@example.com",
    )


@pytest.mark.parametrize(
    ("dismissal", "messages", "stored"),
    [
        ("31/01/2024", ["Data de demissão anterior à data de admissão"], None),
        ("01/02/2024", [], dt.date(2024, 2, 1)),
        ("15/03/2024", [], dt.date(2024, 3, 15)),
    ],
    ids=["day-before-admission", "same-day", "later"],
)
def test_a_dismissal_is_checked_against_the_stored_admission(
    harness, ana, dismissal: str, messages: list[str], stored
):
    # When a stored person (admitted 01/02/2024) is dismissed
    report = harness.apply("people", [{"matricula": "1", "dataDemissao": dismissal}])
    # Then a date before the admission fails; the same day or later dismisses
    expected = [entry(0, "1", *messages)] if messages else []
    assert errors(report) == expected
    assert harness.people()["1"]["data_demissao"] == stored


def test_a_new_admission_after_the_stored_dismissal_is_checked_too(harness, ana):
    # Given a dismissed person
    harness.apply("people", [{"matricula": "1", "dataDemissao": "10/03/2024"}])
    # When the admission is moved after the dismissal
    report = harness.apply("people", [{"matricula": "1", "dataAdmissao": "11/03/2024"}])
    # Then it fails
    assert errors(report) == [entry(0, "1", "Data de demissão anterior à data de admissão")]
    assert harness.people()["1"]["data_admissao"] == dt.date(2024, 2, 1)


def test_an_empty_dismissal_date_readmits(harness, ana):
    # Given a dismissed person
    harness.apply("people", [{"matricula": "1", "dataDemissao": "10/03/2024"}])
    assert harness.people()["1"]["data_demissao"] == dt.date(2024, 3, 10)
    # When it is sent with an empty dismissal date
    report = harness.apply("people", [{"matricula": "1", "dataDemissao": ""}])
    # Then the dismissal is cleared and nothing else changed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people() == {"1": ana}


def test_a_schedule_of_the_catalog_is_found_case_insensitively(harness, db, tenant):
    # Given a schedule in the company's catalog
    add_entry(db, CatalogKind.SCHEDULE, tenant.code, "ESC-01", "Escala comercial")
    # When people reference it in another case, with spaces, and an unknown one
    records = [
        person("1", escala_padrao=" esc-01 "),
        person("2", escala_padrao="ESC-02"),
    ]
    report = harness.apply("people", records)
    # Then the known one is stored under its catalog code; the other fails
    assert errors(report) == [entry(1, "2", "Escala não encontrada")]
    assert harness.people()["1"]["escala_padrao"] == "ESC-01"


def test_a_schedule_of_another_company_is_not_found(harness, db, other_company):
    add_entry(db, CatalogKind.SCHEDULE, other_company.code, "ESC-01", None)
    report = harness.apply("people", [person("1", escala_padrao="ESC-01")])
    assert errors(report) == [entry(0, "1", "Escala não encontrada")]


def test_a_cost_center_created_by_an_earlier_request_is_found(harness):
    # Given a cost center created by an earlier request
    harness.apply("costcenter", [{"codigo": "CC1", "nome": "Centro 1"}])
    # When people reference it and an unknown one
    records = [person("1", centro_custo=" CC1 "), person("2", centro_custo="CC2")]
    report = harness.apply("people", records)
    # Then the first is linked to it and the second fails
    assert errors(report) == [entry(1, "2", "Centro de custo não encontrado")]
    assert harness.people()["1"]["centro_custo"] == "CC1"


def test_a_cost_center_sent_just_before_is_there_first(api):
    # Given a cost center request and a people request accepted back to back
    center = api.send("costcenter", [{"codigo": "CC9", "nome": "Centro 9"}])
    staff = api.send("people", [person("1", centro_custo="CC9")])
    # When the queue is drained
    assert api.run_worker() == 2
    # Then the person found the cost center (requests of a company run in acceptance order)
    assert api.report(center)["status"] == api.report(staff)["status"] == "done"
    assert api.people()["1"]["centro_custo"] == "CC9"


def test_a_cost_center_of_another_company_is_not_found(harness, other_company):
    harness.apply("costcenter", [{"codigo": "CC1", "nome": "Centro 1"}], tenant=other_company)
    report = harness.apply("people", [person("1", centro_custo="CC1")])
    assert errors(report) == [entry(0, "1", "Centro de custo não encontrado")]


@pytest.mark.parametrize("filial", ["11.222.333/0001-81", "11222333000181", "1", 42])
def test_any_subsidiary_is_unknown_while_none_exist(harness, filial):
    report = harness.apply("people", [person("1", filial=filial)])
    assert errors(report) == [entry(0, "1", "Filial não encontrada")]
    assert harness.people_count() == 0


def test_a_social_name_needs_the_registered_name(harness):
    # Given one person with a social name and a registered name, one without the latter
    records = [
        person("1", nome="Alex", checkbox_nome_social=True, nome_registro="Alexandre"),
        person("2", nome="Sam", checkbox_nome_social="true"),
    ]
    # When applied
    report = harness.apply("people", records)
    # Then the second fails
    assert errors(report) == [entry(1, "2", "Campo obrigatório: nome_registro")]
    stored = harness.people()["1"]
    assert (stored["nome"], stored["nome_registro"], stored["nome_social"]) == (
        "Alex",
        "Alexandre",
        True,
    )


def test_turning_on_the_social_name_later_needs_a_stored_registered_name(harness):
    # Given a person without registered name, and one with it
    harness.apply("people", [person("1"), person("2", nome_registro="Registro 2")])
    # When both turn the social-name flag on without sending nome_registro
    records = [
        {"matricula": "1", "checkbox_nome_social": "1"},
        {"matricula": "2", "checkbox_nome_social": "1"},
    ]
    report = harness.apply("people", records)
    # Then only the one lacking a registered name fails
    assert errors(report) == [entry(0, "1", "Campo obrigatório: nome_registro")]
    assert harness.people()["2"]["nome_social"] is True
