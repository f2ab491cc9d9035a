"""users (SPEC 2.7): upsert by e-mail (case-insensitive), profiles from the company's catalog,
removal, every message with its identifier and index, applied by the service (`harness`);
the accepted message, the documented inclusion, profile change and removal and the status
arithmetic end to end through HTTP (`api`)."""

from __future__ import annotations

from typing import Any

import pytest

from itg.domain.catalog import CatalogKind
from itg.storage.catalogs import add_entry
from itg.storage.schema import platform_users
from tests.builders import entry, errors, user
from tests.driving import recording_statements, selects_from

ROUTE = "users"
MARIA = {"email": "maria@example.com", "nome": "Maria", "perfil": "Gestor"}


def stored(email: str, nome: str, perfil: str, **columns: Any) -> dict[str, Any]:
    row = {"email": email, "email_key": email.casefold(), "nome": nome, "perfil": perfil}
    return {**row, "localizacao": None, "login_saml": None, **columns}


def test_the_route_answers_with_its_accepted_message(client, tenant):
    response = client.post(f"/{ROUTE}", json=[MARIA], headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["message"] == "User\u00b4s Integration on progress"


def test_documented_inclusion_profile_change_and_removal(api):
    # Inclusion
    api.ok(ROUTE, [MARIA])
    assert api.rows(platform_users) == [stored("maria@example.com", "Maria", "Gestor")]
    # Profile change, the e-mail in another case
    api.ok(ROUTE, [{"email": "MARIA@example.com", "perfilNovo": "Administrador"}])
    assert api.rows(platform_users) == [stored("maria@example.com", "Maria", "Administrador")]
    # Removal
    api.ok(ROUTE, [{"email": "maria@example.com", "remover": "REMOVER"}])
    assert api.rows(platform_users) == []


def test_profiles_match_the_catalog_case_insensitively_and_store_its_name(harness, db, tenant):
    add_entry(db, CatalogKind.PROFILE, tenant.code, "Supervisor Noturno", None)
    harness.ok(
        ROUTE,
        [
            user("a@example.com", perfil="  gestor "),
            user("b@example.com", perfil="SUPERVISOR NOTURNO"),
            user("c@example.com", perfil="funcionário"),
        ],
    )
    assert [row["perfil"] for row in harness.rows(platform_users)] == [
        "Gestor",
        "Supervisor Noturno",
        "Funcionário",
    ]


def test_an_unknown_profile_is_not_found(harness, db, other_company):
    add_entry(db, CatalogKind.PROFILE, other_company.code, "Só Da Outra", None)
    harness.ok(ROUTE, [MARIA])
    found = harness.fails(
        ROUTE,
        [
            user("a@example.com", perfil="Diretor"),
            user("b@example.com", perfil="Só da outra"),  # another company's catalog
            {"email": "maria@example.com", "perfilNovo": "Diretor"},
            {"email": "maria@example.com", "perfil": "Gestor", "perfilNovo": "x" * 300},
            user("c@example.com", perfil="Diretor", perfilNovo="Vice"),
        ],
    )
    assert found == [
        entry(0, "a@example.com", "Perfil não encontrado"),
        entry(1, "b@example.com", "Perfil não encontrado"),
        entry(2, "maria@example.com", "Perfil não encontrado"),
        entry(3, "maria@example.com", "Perfil não encontrado"),
        entry(4, "c@example.com", "Perfil não encontrado"),
    ]
    assert harness.rows(platform_users) == [stored("maria@example.com", "Maria", "Gestor")]


def test_perfil_alone_updates_and_perfil_novo_wins_over_perfil(harness):
    harness.ok(ROUTE, [MARIA])
    harness.ok(ROUTE, [{"email": "maria@example.com", "perfil": "Apontador"}])
    assert harness.rows(platform_users)[0]["perfil"] == "Apontador"
    harness.ok(
        ROUTE, [{"email": "maria@example.com", "perfil": "Gestor", "perfilNovo": "Funcionário"}]
    )
    assert harness.rows(platform_users)[0]["perfil"] == "Funcionário"
    # A blank perfilNovo changes nothing
    harness.ok(ROUTE, [{"email": "maria@example.com", "perfilNovo": " ", "nome": "Maria S."}])
    assert harness.rows(platform_users) == [stored("maria@example.com", "Maria S.", "Funcionário")]


def test_localizacao_and_login_saml_are_stored_and_blank_login_saml_clears(harness):
    harness.ok(ROUTE, [{**MARIA, "localizacao": ["Loja 1", 22], "login_saml": "maria.saml"}])
    assert harness.rows(platform_users) == [
        stored(
            "maria@example.com",
            "Maria",
            "Gestor",
            localizacao='["Loja 1","22"]',
            login_saml="maria.saml",
        )
    ]
    harness.ok(ROUTE, [{"email": "maria@example.com", "login_saml": "", "localizacao": []}])
    assert harness.rows(platform_users) == [
        stored("maria@example.com", "Maria", "Gestor", localizacao="[]")
    ]


def test_an_invalid_email_is_reported_with_the_identifier_as_sent(harness):
    found = harness.fails(
        ROUTE,
        [
            user("maria.example.com"),
            user(" maria@example "),
            user("ma ria@example.com"),
            user("a@b@example.com"),
            user(f"{'x' * 250}@example.com"),
            user(["maria@example.com"]),  # type: ignore[arg-type]
        ],
    )
    assert found == [
        entry(0, "maria.example.com", "E-mail inválido"),
        entry(1, "maria@example", "E-mail inválido"),
        entry(2, "ma ria@example.com", "E-mail inválido"),
        entry(3, "a@b@example.com", "E-mail inválido"),
        entry(4, f"{'x' * 250}@example.com", "E-mail inválido"),
        entry(5, "", "E-mail inválido"),
    ]


def test_a_missing_key_reports_only_format_errors(harness):
    found = harness.fails(
        ROUTE,
        [
            {"nome": "Sem e-mail", "perfil": "Diretor"},  # no profile lookup without a key
            {"email": "", "localizacao": "Loja 1"},
            {"email": None, "remover": "apagar"},
            {"email": "invalido", "perfil": "Diretor"},  # an invalid key: the same
        ],
    )
    assert found == [
        entry(0, "", "Campo obrigatório: email"),
        entry(1, "", "Campo obrigatório: email", "Campo inválido: localizacao"),
        entry(2, "", "Campo obrigatório: email", "Campo inválido: remover"),
        entry(3, "invalido", "E-mail inválido"),
    ]


def test_nome_and_perfil_are_required_on_insert_and_cannot_be_blanked(harness):
    harness.ok(ROUTE, [MARIA])
    found = harness.fails(
        ROUTE,
        [
            {"email": "novo@example.com"},
            {"email": "novo@example.com", "nome": "Novo"},
            {"email": "novo@example.com", "perfil": "Gestor"},
            {"email": "maria@example.com", "nome": " "},
            {"email": "maria@example.com", "perfil": ""},
            {"email": "novo@example.com", "nome": "Novo", "perfilNovo": "Gestor"},
        ],
    )
    assert found == [
        entry(0, "novo@example.com", "Campo obrigatório: nome", "Campo obrigatório: perfil"),
        entry(1, "novo@example.com", "Campo obrigatório: perfil"),
        entry(2, "novo@example.com", "Campo obrigatório: nome"),
        entry(3, "maria@example.com", "Campo obrigatório: nome"),
        entry(4, "maria@example.com", "Campo obrigatório: perfil"),
        entry(5, "novo@example.com", "Campo obrigatório: perfil"),
    ]
    assert harness.rows(platform_users) == [stored("maria@example.com", "Maria", "Gestor")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"localizacao": "Loja 1"}, "Campo inválido: localizacao"),
        ({"localizacao": ["Loja 1", None]}, "Campo inválido: localizacao"),
        ({"localizacao": [["Loja 1"]]}, "Campo inválido: localizacao"),
        ({"remover": "DELETE"}, "Campo inválido: remover"),
        ({"remover": "sim"}, "Campo inválido: remover"),
        ({"remover": True}, "Campo inválido: remover"),
        ({"nome": "x" * 151}, "Campo inválido: nome"),
        ({"login_saml": ["maria"]}, "Campo inválido: login_saml"),
        ({"perfil": True}, "Campo inválido: perfil"),
        ({"perfilNovo": {"nome": "Gestor"}}, "Campo inválido: perfilNovo"),
    ],
)
def test_each_format_message(harness, fields, message):
    found = harness.fails(ROUTE, [{**MARIA, **fields}])
    assert found == [entry(0, "maria@example.com", message)]
    assert harness.rows(platform_users) == []


def test_removal_words_in_any_case_and_a_blank_remover_does_not_remove(harness):
    harness.ok(ROUTE, [user("a@example.com"), user("b@example.com"), user("c@example.com")])
    harness.ok(
        ROUTE,
        [
            {"email": "A@EXAMPLE.COM", "remover": " remove "},
            {"email": "b@example.com", "remover": "Remover"},
            {"email": "c@example.com", "remover": "", "nome": "Fica"},
            {"email": "c@example.com", "remover": None},
        ],
    )
    assert harness.rows(platform_users) == [stored("c@example.com", "Fica", "Apontador")]


def test_removal_needs_only_the_key_and_fails_for_an_absent_user(harness):
    harness.ok(ROUTE, [MARIA])
    found = harness.fails(
        ROUTE,
        [
            {"email": "ninguem@example.com", "remover": "REMOVER"},
            {"email": "nada", "remover": "REMOVE"},
        ],
    )
    assert found == [
        entry(0, "ninguem@example.com", "Usuário não encontrado"),
        entry(1, "nada", "E-mail inválido"),
    ]
    # The other fields of a removal are not read, not even malformed ones
    harness.ok(ROUTE, [{**MARIA, "perfil": "Diretor", "nome": "", "remover": "REMOVER"}])
    assert harness.rows(platform_users) == []


def test_records_of_one_user_in_one_batch_are_upserts(harness):
    harness.ok(
        ROUTE,
        [
            MARIA,
            {"email": "MARIA@EXAMPLE.COM", "perfilNovo": "Administrador"},
            {"email": "Maria@Example.com", "nome": "Maria Silva"},
            user("jose@example.com"),
            {"email": "jose@example.com", "remover": "REMOVER"},
            {"email": "jose@example.com", "nome": "José", "perfil": "Gestor"},
        ],
    )
    # The stored e-mail keeps the spelling of the insert; later records matched it by case
    assert harness.rows(platform_users) == [
        stored("maria@example.com", "Maria Silva", "Administrador"),
        stored("jose@example.com", "José", "Gestor"),
    ]
    report = harness.apply(
        ROUTE,
        [
            {"email": "jose@example.com", "remover": "REMOVER"},
            {"email": "jose@example.com", "remover": "REMOVER"},
        ],
    )
    assert errors(report) == [entry(1, "jose@example.com", "Usuário não encontrado")]


def test_users_belong_to_their_company(harness, other_company):
    harness.ok(ROUTE, [MARIA], tenant=other_company)
    found = harness.fails(ROUTE, [{"email": "maria@example.com", "remover": "REMOVER"}])
    assert found == [entry(0, "maria@example.com", "Usuário não encontrado")]
    harness.ok(ROUTE, [{**MARIA, "nome": "Outra Maria"}])
    assert harness.rows(platform_users, other_company) == [
        stored("maria@example.com", "Maria", "Gestor")
    ]
    assert harness.rows(platform_users) == [stored("maria@example.com", "Outra Maria", "Gestor")]


@pytest.mark.parametrize(
    ("records", "status"),
    [
        ([user("a@example.com"), user("b@example.com"), user("c@example.com")], "done"),
        ([user("a@example.com"), user("b"), user("c@example.com")], "warning"),
        ([user("a"), user("b@example.com", perfil="Nenhum"), {"nome": "x"}], "error"),
    ],
)
def test_status_arithmetic(api, records, status):
    report = api.apply(ROUTE, records)
    assert report["status"] == status
    assert report["progress"] == {"done": "3", "total": "3"}
    assert len(report["data"]["errors"]) == {"done": 0, "warning": 1, "error": 3}[status]


def test_a_chunk_reads_users_and_profiles_once(harness, db):
    records = [user(f"u{n}@example.com") for n in range(150)]
    with recording_statements(db) as statements:
        harness.ok(ROUTE, records)
    # 150 records = two chunks: one read of the users and one of the catalog each
    assert selects_from(statements, "platform_users") == 2
    assert selects_from(statements, "profiles") == 2
