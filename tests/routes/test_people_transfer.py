"""Transfers (SPEC 2.3 `matricula_anterior`): the employee found under the previous matrícula
is renamed, never duplicated; the new matrícula must be free. Applied by the people service
(`harness`)."""

from __future__ import annotations

from sqlalchemy import select

from itg.storage.database import Database
from itg.storage.schema import people
from tests.builders import cpf, entry, errors, person


def test_a_transfer_renames_the_person(harness):
    # Given a stored person "1" and another "2"
    harness.apply("people", [person("1", cpf=cpf(1), cargo="Analista"), person("2")])
    before = harness.people()
    # When "1" is transferred to "9", resending its own CPF
    record = {"matricula": "9", "matricula_anterior": " 1 ", "cpf": cpf(1)}
    report = harness.apply("people", [record])
    # Then the same person now has matrícula "9": no one was added, "1" is gone
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    after = harness.people()
    assert harness.people_count() == 2
    assert sorted(after) == ["2", "9"]
    assert after["9"] == {**before["1"], "matricula": "9"}
    assert after["2"] == before["2"]


def test_a_transfer_keeps_the_persons_row(harness, db: Database):
    # Given a stored person
    harness.apply("people", [person("1")])
    ids_before = _ids(db)
    # When transferred twice in one batch
    records = [
        {"matricula": "2", "matricula_anterior": "1"},
        {"matricula": "3", "matricula_anterior": "2", "cargo": "Gerente"},
    ]
    report = harness.apply("people", records)
    # Then it is still the same row, under the last matrícula
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert list(_ids(db).values()) == list(ids_before.values())
    assert list(_ids(db)) == ["3"]
    assert harness.people()["3"]["cargo"] == "Gerente"


def test_a_transfer_onto_a_taken_matricula_fails_and_changes_nothing(harness):
    # Given two stored people
    harness.apply("people", [person("1"), person("2")])
    before = harness.people()
    # When "1" is transferred onto "2"
    report = harness.apply("people", [{"matricula": "2", "matricula_anterior": "1", "nome": "X"}])
    # Then it fails and both people are unchanged
    assert errors(report) == [entry(0, "2", "Matrícula já cadastrada.")]
    assert harness.people() == before


def test_a_transfer_from_an_unknown_matricula_fails(harness):
    # Given a stored person "2"
    harness.apply("people", [person("2")])
    before = harness.people()
    # When an unknown "1" is transferred to "3" (a complete record) and onto "2"
    records = [
        person("3", matricula_anterior="1"),
        {"matricula": "2", "matricula_anterior": "1"},
    ]
    report = harness.apply("people", records)
    # Then both fail with the previous matrícula not found, and nothing was inserted
    assert errors(report) == [
        entry(0, "3", "Matrícula anterior não encontrada"),
        entry(1, "2", "Matrícula anterior não encontrada"),
    ]
    assert harness.people() == before


def test_an_inserted_person_can_be_transferred_in_the_same_batch(harness):
    records = [person("1"), {"matricula": "2", "matricula_anterior": "1"}]
    report = harness.apply("people", records)
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert list(harness.people()) == ["2"]
    assert harness.people()["2"]["nome"] == "Pessoa 1"


def test_the_freed_matricula_can_be_taken_in_the_same_batch(harness):
    # Given a stored person "1"
    harness.apply("people", [person("1", nome="Ana")])
    # When "1" moves to "9" and a newcomer takes "1", in one batch
    records = [{"matricula": "9", "matricula_anterior": "1"}, person("1", nome="Bia")]
    report = harness.apply("people", records)
    # Then both succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["nome"] for m, p in harness.people().items()} == {"1": "Bia", "9": "Ana"}


def test_two_people_can_swap_matriculas_in_one_batch(harness):
    # Given two stored people
    harness.apply("people", [person("1", nome="Ana"), person("2", nome="Bia")])
    # When they swap matrículas through a temporary one, in one batch
    records = [
        {"matricula": "tmp", "matricula_anterior": "1"},
        {"matricula": "1", "matricula_anterior": "2"},
        {"matricula": "2", "matricula_anterior": "tmp"},
    ]
    report = harness.apply("people", records)
    # Then each holds the other's matrícula
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["nome"] for m, p in harness.people().items()} == {"1": "Bia", "2": "Ana"}


def test_the_same_previous_and_new_matricula_is_a_plain_update(harness):
    harness.apply("people", [person("1")])
    report = harness.apply("people", [{"matricula": "1", "matricula_anterior": "1", "cargo": "C"}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people()["1"]["cargo"] == "C"


def _ids(db: Database) -> dict[str, int]:
    """Surrogate ids by matrícula: a transfer renames a row, it never replaces it."""
    with db.read() as conn:
        return dict(conn.execute(select(people.c.matricula, people.c.id)).all())
