"""subsidiaries (SPEC 2.6): upsert by numeroCadastro, every message with its identifier and
index, and people's `filial`, applied by the services (`harness`); the accepted message, the
documented inclusion and deactivation and the status arithmetic end to end through HTTP
(`api`)."""

from __future__ import annotations

import pytest

from itg.storage.schema import subsidiaries
from tests.builders import branch, cnpj, cpf, employee, entry, errors
from tests.driving import recording_statements, selects_from

ROUTE = "subsidiaries"
DOTTED = "11.222.333/0001-81"
DIGITS = "11222333000181"

# The inclusion example of the public documentation: a full record with a valid CNPJ.
INCLUSION = {
    "numeroCadastro": DOTTED,
    "razaoSocial": "Filial Centro Ltda",
    "telefoneDDD": "11",
    "telefone": "98765-4321",
    "cep": "01001-000",
    "endereco": "Praça da Sé, 1",
    "complemento": "Sala 2",
    "bairro": "Sé",
    "cidade": "São Paulo",
    "estado": "SP",
}
STORED = {
    "numero_cadastro": DIGITS,
    "razao_social": "Filial Centro Ltda",
    "telefone_ddd": "11",
    "telefone": "987654321",
    "cep": "01001000",
    "endereco": "Praça da Sé, 1",
    "complemento": "Sala 2",
    "bairro": "Sé",
    "cidade": "São Paulo",
    "estado": "sp",
    "pais": "1058",
    "ativo": True,
}


def test_the_route_answers_with_its_accepted_message(client, tenant):
    response = client.post(f"/{ROUTE}", json=[INCLUSION], headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["message"] == "Subsidiaries Integration on progress"
    assert set(response.json()) == {"company", "unique", "subunique", "message"}


def test_documented_inclusion_then_deactivation_and_people_still_reference_the_branch(api):
    # Given the documented inclusion, applied
    api.ok(ROUTE, [INCLUSION])
    assert api.rows(subsidiaries) == [STORED]
    # When the documented deactivation is applied
    api.ok(ROUTE, [{"numeroCadastro": DOTTED, "ativacao": False}])
    # Then only `ativo` changed
    assert api.rows(subsidiaries) == [{**STORED, "ativo": False}]
    # And people may still name the deactivated branch, by digits or formatted, while an
    # unknown (valid) CNPJ is not found
    report = api.apply(
        "people",
        [
            employee("00000001", filial=DIGITS),
            employee("00000002", filial=DOTTED),
            employee("00000003", filial=cnpj(4)),
        ],
    )
    assert report["status"] == "warning"
    assert errors(report) == [entry(2, "00000003", "Filial não encontrada")]


def test_a_branch_registered_under_a_cpf_is_accepted(harness):
    number = cpf(7)
    formatted = f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"
    harness.ok(ROUTE, [branch(formatted)])
    assert [row["numero_cadastro"] for row in harness.rows(subsidiaries)] == [number]
    harness.ok("people", [employee("1", filial=number)])


def test_reactivation_accepts_boolean_strings(harness):
    harness.ok(ROUTE, [branch(DIGITS, ativacao="0")])
    assert harness.rows(subsidiaries)[0]["ativo"] is False
    harness.ok(ROUTE, [{"numeroCadastro": DIGITS, "ativacao": " TRUE "}])
    assert harness.rows(subsidiaries)[0]["ativo"] is True
    harness.ok(ROUTE, [{"numeroCadastro": DIGITS, "ativacao": "false"}])
    harness.ok(ROUTE, [{"numeroCadastro": DIGITS, "ativacao": True}])
    assert harness.rows(subsidiaries)[0]["ativo"] is True


def test_an_invalid_document_is_reported_with_the_identifier_as_sent(harness):
    found = harness.fails(
        ROUTE,
        [
            branch("11.222.333/0001-82"),  # wrong check digit
            branch("1122233300018"),  # 13 digits
            branch("111.111.111-11"),  # all digits equal
            branch("11.222.333/0001-8A"),  # a letter
            {"numeroCadastro": 11222333000182, "razaoSocial": "Número JSON"},
            branch(True),  # a boolean is not text
        ],
    )
    assert found == [
        entry(0, "11.222.333/0001-82", "CNPJ/CPF inválido"),
        entry(1, "1122233300018", "CNPJ/CPF inválido"),
        entry(2, "111.111.111-11", "CNPJ/CPF inválido"),
        entry(3, "11.222.333/0001-8A", "CNPJ/CPF inválido"),
        entry(4, "11222333000182", "CNPJ/CPF inválido"),
        entry(5, "", "CNPJ/CPF inválido"),
    ]


def test_a_missing_key_reports_only_format_errors(harness):
    found = harness.fails(
        ROUTE,
        [
            {"razaoSocial": "Sem número"},
            {"numeroCadastro": "   ", "cep": "123"},
            {"numeroCadastro": None, "estado": "XX"},
            {"telefone": "12"},  # no razaoSocial: insert-only, not reported without a key
            {"numeroCadastro": "123", "telefone": "12"},  # an invalid key: the same
        ],
    )
    assert found == [
        entry(0, "", "Campo obrigatório: numeroCadastro"),
        entry(1, "", "Campo obrigatório: numeroCadastro", "CEP inválido"),
        entry(2, "", "Campo obrigatório: numeroCadastro", "UF inválida"),
        entry(3, "", "Campo obrigatório: numeroCadastro", "Telefone inválido"),
        entry(4, "123", "CNPJ/CPF inválido", "Telefone inválido"),
    ]


def test_razao_social_is_required_on_insert_and_cannot_be_blanked(harness):
    harness.ok(ROUTE, [branch(cnpj(1))])
    found = harness.fails(
        ROUTE,
        [
            {"numeroCadastro": cnpj(2), "cidade": "Recife"},
            {"numeroCadastro": cnpj(1), "razaoSocial": "  "},
            {"numeroCadastro": cnpj(3), "razaoSocial": "x" * 151},
        ],
    )
    assert found == [
        entry(0, cnpj(2), "Campo obrigatório: razaoSocial"),
        entry(1, cnpj(1), "Campo obrigatório: razaoSocial"),
        entry(2, cnpj(3), "Campo inválido: razaoSocial"),
    ]
    assert [row["razao_social"] for row in harness.rows(subsidiaries)] == [f"Filial {cnpj(1)}"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"telefoneDDD": "1"}, "DDD inválido"),
        ({"telefoneDDD": "(011)"}, "DDD inválido"),
        ({"telefone": "1234567"}, "Telefone inválido"),
        ({"telefone": "1234567890"}, "Telefone inválido"),
        ({"telefone": "99999999"}, "Telefone inválido"),
        ({"cep": "0100100"}, "CEP inválido"),
        ({"cep": "01001-00A"}, "CEP inválido"),
        ({"estado": "XX"}, "UF inválida"),
        ({"estado": "São Paulo"}, "UF inválida"),
        ({"pais": "10580"}, "Campo inválido: pais"),
        ({"pais": "BR"}, "Campo inválido: pais"),
        ({"ativacao": "sim"}, "Campo inválido: ativacao"),
        ({"endereco": "x" * 201}, "Campo inválido: endereco"),
        ({"complemento": ["sala"]}, "Campo inválido: complemento"),
        ({"bairro": "x" * 151}, "Campo inválido: bairro"),
        ({"cidade": {"nome": "Recife"}}, "Campo inválido: cidade"),
    ],
)
def test_each_format_message(harness, fields, message):
    found = harness.fails(ROUTE, [branch(DOTTED, **fields)])
    assert found == [entry(0, DOTTED, message)]
    assert harness.rows(subsidiaries) == []


def test_every_message_of_a_record_is_reported_and_the_record_changes_nothing(harness):
    harness.ok(ROUTE, [INCLUSION])
    found = harness.fails(
        ROUTE,
        [
            {
                "numeroCadastro": DIGITS,
                "razaoSocial": "Nova Razão",
                "telefoneDDD": "123",
                "telefone": "1",
                "cep": "1",
                "estado": "ZZ",
                "pais": "x",
                "ativacao": "talvez",
            }
        ],
    )
    assert found == [
        entry(
            0,
            DIGITS,
            "DDD inválido",
            "Telefone inválido",
            "CEP inválido",
            "UF inválida",
            "Campo inválido: pais",
            "Campo inválido: ativacao",
        )
    ]
    assert harness.rows(subsidiaries) == [STORED]


def test_blank_optional_fields_clear_and_a_blank_pais_restores_the_default(harness):
    harness.ok(ROUTE, [{**INCLUSION, "pais": 105}])
    assert harness.rows(subsidiaries)[0]["pais"] == "105"
    harness.ok(
        ROUTE,
        [
            {
                "numeroCadastro": DIGITS,
                "telefoneDDD": "",
                "telefone": " ",
                "cep": "",
                "endereco": "",
                "complemento": "",
                "bairro": "",
                "cidade": "",
                "estado": "",
                "pais": "",
                "ativacao": "",  # a blank boolean counts as absent
            }
        ],
    )
    assert harness.rows(subsidiaries) == [
        {
            **STORED,
            **dict.fromkeys(
                ("telefone_ddd", "telefone", "cep", "endereco", "complemento", "bairro"), None
            ),
            "cidade": None,
            "estado": None,
        }
    ]


def test_two_records_of_one_branch_in_one_batch_are_upserts(harness):
    # Given the same CNPJ sent formatted and as digits in one request
    harness.ok(
        ROUTE,
        [
            branch(DOTTED, cidade="Recife"),
            {"numeroCadastro": DIGITS, "razaoSocial": "Renomeada", "estado": "pe"},
        ],
    )
    # Then it is one branch carrying both records' changes
    [row] = harness.rows(subsidiaries)
    assert (row["numero_cadastro"], row["razao_social"], row["cidade"], row["estado"]) == (
        DIGITS,
        "Renomeada",
        "Recife",
        "pe",
    )


def test_branches_belong_to_their_company(harness, other_company):
    harness.ok(ROUTE, [branch(DOTTED)], tenant=other_company)
    report = harness.apply("people", [employee("1", filial=DIGITS)])
    assert errors(report) == [entry(0, "1", "Filial não encontrada")]
    assert harness.rows(subsidiaries) == []


@pytest.mark.parametrize(
    ("records", "status"),
    [
        ([branch(cnpj(1)), branch(cnpj(2)), branch(cnpj(3))], "done"),
        ([branch(cnpj(1)), branch("1"), branch(cnpj(3))], "warning"),
        ([branch("1"), branch("2"), {"razaoSocial": "x"}], "error"),
    ],
)
def test_status_arithmetic(api, records, status):
    report = api.apply(ROUTE, records)
    assert report["status"] == status
    assert report["progress"] == {"done": "3", "total": "3"}
    assert len(report["data"]["errors"]) == {"done": 0, "warning": 1, "error": 3}[status]


def test_a_chunk_reads_the_branches_with_one_query(harness, db):
    records = [branch(cnpj(n)) for n in range(60)] + [branch(cnpj(n)) for n in range(60)]
    with recording_statements(db) as statements:
        harness.ok(ROUTE, records)
    # 120 records = two chunks of 100 and 20: one read of the branches each
    assert selects_from(statements, "subsidiaries") == 2
    assert len(harness.rows(subsidiaries)) == 60
