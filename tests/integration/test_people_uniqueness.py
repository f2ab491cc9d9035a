"""Uniqueness of CPF, PIS and e-mail among a company's people (SPEC 2.1, 2.3): against stored
people, against earlier records of the same batch, ignoring the person's own values, and per
company."""

from __future__ import annotations

TAKEN = ("CPF já cadastrado.", "PIS já cadastrado.", "E-mail já cadastrado.")


def documents(make, seed: int, email: str) -> dict:
    """CPF, PIS (with separators) and e-mail fields of one person."""
    cpf, pis = make.cpf(seed), make.pis(seed)
    return {
        "cpf": f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}",
        "pis": f"{pis[:3]}.{pis[3:8]}.{pis[8:10]}-{pis[10]}",
        "sem_pis": False,
        "email": email,
    }


def test_values_of_a_stored_person_are_taken(api, store, make):
    # Given a stored person
    api.apply("people", [make.person("1", **documents(make, 1, "Ana@Example.com"))])
    before = store.people()
    # When another person arrives with the same CPF, PIS and e-mail (the e-mail in another case)
    report = api.apply("people", [make.person("2", **documents(make, 1, "ana@EXAMPLE.COM"))])
    # Then it fails with the three messages and nothing changes
    assert api.errors(report) == [make.entry(0, "2", *TAKEN)]
    assert report["status"] == "error"
    assert store.people() == before


def test_values_of_an_earlier_record_of_the_batch_are_taken(api, store, make):
    # Given one batch: a person, then another with the same CPF, PIS and e-mail
    records = [
        make.person("1", **documents(make, 1, "ana@example.com")),
        make.person("2", **documents(make, 1, " ANA@example.com ")),
    ]
    # When it is applied
    report = api.apply("people", records)
    # Then the second record fails
    assert api.errors(report) == [make.entry(1, "2", *TAKEN)]
    assert list(store.people()) == ["1"]


def test_each_duplicate_is_reported_alone(api, make):
    # Given a stored person, then three people each repeating one of its values
    api.apply("people", [make.person("1", **documents(make, 1, "ana@example.com"))])
    own = documents(make, 1, "ana@example.com")
    records = [
        make.person("2", cpf=own["cpf"]),
        make.person("3", pis=own["pis"]),
        make.person("4", email="ANA@example.com"),
    ]
    # When they are applied
    report = api.apply("people", records)
    # Then each reports exactly its duplicate
    assert api.errors(report) == [
        make.entry(0, "2", "CPF já cadastrado."),
        make.entry(1, "3", "PIS já cadastrado."),
        make.entry(2, "4", "E-mail já cadastrado."),
    ]


def test_an_update_resending_the_persons_own_values_is_not_a_duplicate(api, store, make):
    # Given a stored person
    api.apply("people", [make.person("1", **documents(make, 1, "ana@example.com"))])
    # When it is updated with its own CPF, PIS and e-mail (twice in one batch) and a new name
    update = {"matricula": "1", "nome": "Ana Maria", **documents(make, 1, "ANA@example.com")}
    report = api.apply("people", [update, update])
    # Then the update succeeds
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    stored = store.people()["1"]
    assert (stored["nome"], stored["cpf"], stored["email"]) == (
        "Ana Maria",
        make.cpf(1),
        "ANA@example.com",
    )


def test_a_value_freed_earlier_in_the_batch_can_be_taken(api, store, make):
    # Given a stored person holding a CPF
    api.apply("people", [make.person("1", cpf=make.cpf(1))])
    # When one batch moves that person to another CPF, then gives the old one to a newcomer
    records = [{"matricula": "1", "cpf": make.cpf(2)}, make.person("2", cpf=make.cpf(1))]
    report = api.apply("people", records)
    # Then both records succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert {m: p["cpf"] for m, p in store.people().items()} == {"1": make.cpf(2), "2": make.cpf(1)}


def test_a_failed_record_does_not_reserve_its_values(api, store, make):
    # Given a batch whose first record fails but carries a CPF, and a second with that CPF
    records = [
        make.person("1", cpf=make.cpf(1), dataAdmissao="31/02/2024"),
        make.person("2", cpf=make.cpf(1)),
    ]
    # When it is applied
    report = api.apply("people", records)
    # Then only the first fails, and the second holds the CPF
    assert api.errors(report) == [make.entry(0, "1", "Data de admissão inválida")]
    assert {m: p["cpf"] for m, p in store.people().items()} == {"2": make.cpf(1)}


def test_clearing_a_value_frees_it(api, store, make):
    # Given a stored person with CPF and e-mail
    api.apply("people", [make.person("1", cpf=make.cpf(1), email="ana@example.com")])
    # When the person's CPF and e-mail are cleared and a newcomer takes them, in one batch
    records = [
        {"matricula": "1", "cpf": "", "email": ""},
        make.person("2", cpf=make.cpf(1), email="ana@example.com"),
    ]
    report = api.apply("people", records)
    # Then both succeed
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    people = store.people()
    assert (people["1"]["cpf"], people["1"]["email"], people["1"]["email_key"]) == (None,) * 3
    assert (people["2"]["cpf"], people["2"]["email"]) == (make.cpf(1), "ana@example.com")


def test_the_same_matricula_and_documents_in_two_companies_are_two_people(
    api, store, make, other_company
):
    # Given a person of one company
    record = make.person("1", **documents(make, 1, "ana@example.com"))
    api.apply("people", [record])
    # When another company sends the same matrícula, CPF, PIS and e-mail
    report = api.apply("people", [{**record, "nome": "Outra Ana"}], tenant=other_company)
    # Then it is a different person of that company
    assert (report["status"], report["data"]["errors"]) == ("done", [])
    assert store.people()["1"]["nome"] == "Pessoa 1"
    assert store.people(other_company)["1"]["nome"] == "Outra Ana"
    assert store.people_count() == store.people_count(other_company) == 1
