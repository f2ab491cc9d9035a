"""Transfers (SPEC 2.3 `matricula_anterior`): the employee found under the previous matrícula
is renamed, never duplicated; the new matrícula must be free."""

from __future__ import annotations

from sqlalchemy import select

from itg.storage.database import Database
from itg.storage.schema import people


def test_a_transfer_renames_the_person(api, store, make):
    # Given a stored person "1" and another "2"
    api.apply("people", [make.person("1", cpf=make.cpf(1), cargo="Analista"), make.person("2")])
    before = store.people()
    # When "1" is transferred to "9", resending its own CPF
    record = {"matricula": "9", "matricula_anterior": " 1 ", "cpf": make.cpf(1)}
    report = api.apply("people", [record])
    # Then the same person now has matrícula "9": no one was added, "1" is gone
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    after = store.people()
    assert store.people_count() == 2
    assert sorted(after) == ["2", "9"]
    assert after["9"] == {**before["1"], "matricula": "9"}
    assert after["2"] == before["2"]


def test_a_transfer_keeps_the_persons_row(api, store, make, db: Database):
    # Given a stored person
    api.apply("people", [make.person("1")])
    ids_before = _ids(db)
    # When transferred twice in one batch
    records = [
        {"matricula": "2", "matricula_anterior": "1"},
        {"matricula": "3", "matricula_anterior": "2", "cargo": "Gerente"},
    ]
    report = api.apply("people", records)
    # Then it is still the same row, under the last matrícula
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert list(_ids(db).values()) == list(ids_before.values())
    assert list(_ids(db)) == ["3"]
    assert store.people()["3"]["cargo"] == "Gerente"


def test_a_transfer_onto_a_taken_matricula_fails_and_changes_nothing(api, store, make):
    # Given two stored people
    api.apply("people", [make.person("1"), make.person("2")])
    before = store.people()
    # When "1" is transferred onto "2"
    report = api.apply("people", [{"matricula": "2", "matricula_anterior": "1", "nome": "X"}])
    # Then it fails and both people are unchanged
    assert api.errors(report) == [make.entry(0, "2", "Matrícula já cadastrada.")]
    assert store.people() == before


def test_a_transfer_from_an_unknown_matricula_fails(api, store, make):
    # Given a stored person "2"
    api.apply("people", [make.person("2")])
    before = store.people()
    # When an unknown "1" is transferred to "3" (a complete record) and onto "2"
    records = [
        make.person("3", matricula_anterior="1"),
        {"matricula": "2", "matricula_anterior": "1"},
    ]
    report = api.apply("people", records)
    # Then both fail with the previous matrícula not found, and nothing was inserted
    assert api.errors(report) == [
        make.entry(0, "3", "Matrícula anterior não encontrada"),
        make.entry(1, "2", "Matrícula anterior não encontrada"),
    ]
    assert store.people() == before


def test_an_inserted_person_can_be_transferred_in_the_same_batch(api, store, make):
    records = [make.person("1"), {"matricula": "2", "matricula_anterior": "1"}]
    report = api.apply("people", records)
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert list(store.people()) == ["2"]
    assert store.people()["2"]["nome"] == "Pessoa 1"


def test_the_freed_matricula_can_be_taken_in_the_same_batch(api, store, make):
    # Given a stored person "1"
    api.apply("people", [make.person("1", nome="Ana")])
    # When "1" moves to "9" and a newcomer takes "1", in one batch
    records = [{"matricula": "9", "matricula_anterior": "1"}, make.person("1", nome="Bia")]
    report = api.apply("people", records)
    # Then both succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["nome"] for m, p in store.people().items()} == {"1": "Bia", "9": "Ana"}


def test_two_people_can_swap_matriculas_in_one_batch(api, store, make):
    # Given two stored people
    api.apply("people", [make.person("1", nome="Ana"), make.person("2", nome="Bia")])
    # When they swap matrículas through a temporary one, in one batch
    records = [
        {"matricula": "tmp", "matricula_anterior": "1"},
        {"matricula": "1", "matricula_anterior": "2"},
        {"matricula": "2", "matricula_anterior": "tmp"},
    ]
    report = api.apply("people", records)
    # Then each holds the other's matrícula
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["nome"] for m, p in store.people().items()} == {"1": "Bia", "2": "Ana"}


def test_the_same_previous_and_new_matricula_is_a_plain_update(api, store, make):
    api.apply("people", [make.person("1")])
    report = api.apply("people", [{"matricula": "1", "matricula_anterior": "1", "cargo": "C"}])
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert store.people()["1"]["cargo"] == "C"


def _ids(db: Database) -> dict[str, int]:
    """Surrogate ids by matrícula: a transfer renames a row, it never replaces it."""
    with db.read() as conn:
        return dict(conn.execute(select(people.c.matricula, people.c.id)).all())
