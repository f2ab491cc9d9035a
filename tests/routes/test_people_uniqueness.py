"""Uniqueness of CPF, PIS and e-mail among a company's people (SPEC 2.1, 2.3): against stored
people, against earlier records of the same batch, ignoring the person's own values, and per
company. Applied by the people service (`harness`)."""

from __future__ import annotations

from tests.builders import cpf, entry, errors, person, pis

TAKEN = ("CPF já cadastrado.", "PIS já cadastrado.", "E-mail já cadastrado.")


def documents(seed: int, email: str) -> dict:
    """CPF, PIS (with separators) and e-mail fields of one person."""
    number, code = cpf(seed), pis(seed)
    return {
        "cpf": f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}",
        "pis": f"{code[:3]}.{code[3:8]}.{code[8:10]}-{code[10]}",
        "sem_pis": False,
        "email": email,
    }


def test_values_of_a_stored_person_are_taken(harness):
    # Given a stored person
    harness.apply("people", [person("1", **documents(1, "Ana@Example.com"))])
    before = harness.people()
    # When another person arrives with the same CPF, PIS and e-mail (the e-mail in another case)
    report = harness.apply("people", [person("2", **documents(1, "ana@EXAMPLE.COM"))])
    # Then it fails with the three messages and nothing changes
    assert errors(report) == [entry(0, "2", *TAKEN)]
    assert report["status"] == "error"
    assert harness.people() == before


def test_values_of_an_earlier_record_of_the_batch_are_taken(harness):
    # Given one batch: a person, then another with the same CPF, PIS and e-mail
    records = [
        person("1", **documents(1, "ana@example.com")),
        person("2", **documents(1, " ANA@example.com ")),
    ]
    # When it is applied
    report = harness.apply("people", records)
    # Then the second record fails
    assert errors(report) == [entry(1, "2", *TAKEN)]
    assert list(harness.people()) == ["1"]


def test_each_duplicate_is_reported_alone(harness):
    # Given a stored person, then three people each repeating one of its values
    harness.apply("people", [person("1", **documents(1, "ana@example.com"))])
    own = documents(1, "ana@example.com")
    records = [
        person("2", cpf=own["cpf"]),
        person("3", pis=own["pis"]),
        person("4", email="ANA@example.com"),
    ]
    # When they are applied
    report = harness.apply("people", records)
    # Then each reports exactly its duplicate
    assert errors(report) == [
        entry(0, "2", "CPF já cadastrado."),
        entry(1, "3", "PIS já cadastrado."),
        entry(2, "4", "E-mail já cadastrado."),
    ]


def test_an_update_resending_the_persons_own_values_is_not_a_duplicate(harness):
    # Given a stored person
    harness.apply("people", [person("1", **documents(1, "ana@example.com"))])
    # When it is updated with its own CPF, PIS and e-mail (twice in one batch) and a new name
    update = {"matricula": "1", "nome": "Ana Maria", **documents(1, "ANA@example.com")}
    report = harness.apply("people", [update, update])
    # Then the update succeeds
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    stored = harness.people()["1"]
    assert (stored["nome"], stored["cpf"], stored["email"]) == (
        "Ana Maria",
        cpf(1),
        "ANA@example.com",
    )


def test_a_value_freed_earlier_in_the_batch_can_be_taken(harness):
    # Given a stored person holding a CPF
    harness.apply("people", [person("1", cpf=cpf(1))])
    # When one batch moves that person to another CPF, then gives the old one to a newcomer
    records = [{"matricula": "1", "cpf": cpf(2)}, person("2", cpf=cpf(1))]
    report = harness.apply("people", records)
    # Then both records succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["cpf"] for m, p in harness.people().items()} == {"1": cpf(2), "2": cpf(1)}


def test_a_failed_record_does_not_reserve_its_values(harness):
    # Given a batch whose first record fails but carries a CPF, and a second with that CPF
    records = [
        person("1", cpf=cpf(1), dataAdmissao="31/02/2024"),
        person("2", cpf=cpf(1)),
    ]
    # When it is applied
    report = harness.apply("people", records)
    # Then only the first fails, and the second holds the CPF
    assert errors(report) == [entry(0, "1", "Data de admissão inválida")]
    assert {m: p["cpf"] for m, p in harness.people().items()} == {"2": cpf(1)}


def test_clearing_a_value_frees_it(harness):
    # Given a stored person with CPF and e-mail
    harness.apply("people", [person("1", cpf=cpf(1), email="ana@example.com")])
    # When the person's CPF and e-mail are cleared and a newcomer takes them, in one batch
    records = [
        {"matricula": "1", "cpf": "", "email": ""},
        person("2", cpf=cpf(1), email="ana@example.com"),
    ]
    report = harness.apply("people", records)
    # Then both succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    people = harness.people()
    assert (people["1"]["cpf"], people["1"]["email"], people["1"]["email_key"]) == (None,) * 3
    assert (people["2"]["cpf"], people["2"]["email"]) == (cpf(1), "ana@example.com")


def test_the_same_matricula_and_documents_in_two_companies_are_two_people(harness, other_company):
    # Given a person of one company
    record = person("1", **documents(1, "ana@example.com"))
    harness.apply("people", [record])
    # When another company sends the same matrícula, CPF, PIS and e-mail
    report = harness.apply("people", [{**record, "nome": "Outra Ana"}], tenant=other_company)
    # Then it is a different person of that company
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert harness.people()["1"]["nome"] == "Pessoa 1"
    assert harness.people(other_company)["1"]["nome"] == "Outra Ana"
    assert harness.people_count() == harness.people_count(other_company) == 1
