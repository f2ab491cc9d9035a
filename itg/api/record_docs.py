"""The record schema of every write route, as documented in /openapi.json and /docs.

Documentation data only: the rules themselves live in itg/services. Each field lists its
JSON type, when it is required, the rule with the message it produces (SPEC 2.3–2.8) and,
where one exists, the form of a valid value as JSON Schema keywords (`form`). These describe;
they are not request-level constraints (see itg.api.openapi).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEXT = "text"  # a JSON string or number (numbers become their decimal text)
BOOLEAN = "boolean"  # true/false or "true"/"false"/"1"/"0"
TEXT_LIST = "text list"


@dataclass(frozen=True)
class FieldDoc:
    name: str
    kind: str
    required: str  # "yes", "on insert", "INS/ALT", "no", …
    rule: str
    form: Mapping[str, Any] | None = None  # JSON Schema keywords of a valid value


def chars(maximum: int, minimum: int = 1) -> Mapping[str, Any]:
    return {"minLength": minimum, "maxLength": maximum}


DMY_DATE = {"pattern": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "examples": ["01/02/2024"]}
ISO_DATE = {"format": "date", "examples": ["2024-03-15"]}
ABSENCE_TIME = {
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?$",
    "examples": ["2024-01-11", "2024-01-11T10:00"],
}
EMAIL = {"format": "email", "maxLength": 254, "examples": ["ana@example.com"]}
OPERATION = {"enum": ["INS", "ALT", "DEL"], "description": "any case"}


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    fields: tuple[FieldDoc, ...]
    example: list[dict[str, Any]]


_OPERATION = FieldDoc(
    "operation", TEXT, "yes", "`INS`, `ALT` or `DEL`, any case (`Operação inválida`)", OPERATION
)

ROUTE_DOCS: dict[str, RouteDoc] = {
    "people": RouteDoc(
        "Employees, upserted by matrícula",
        (
            FieldDoc("matricula", TEXT, "yes", "1–30 chars; the key", chars(30)),
            FieldDoc(
                "matricula_anterior",
                TEXT,
                "no",
                "transfer: the employee under this matrícula is renamed "
                "(`Matrícula anterior não encontrada`, `Matrícula já cadastrada.`)",
            ),
            FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
            FieldDoc("nome_registro", TEXT, "when checkbox_nome_social", "registered name"),
            FieldDoc("checkbox_nome_social", BOOLEAN, "no", "`nome` is a social name"),
            FieldDoc(
                "pis",
                TEXT,
                "on insert unless sem_pis",
                "11 digits, valid check digit (`PIS Inválido`); unique (`PIS já cadastrado.`)",
            ),
            FieldDoc("sem_pis", BOOLEAN, "no", "the employee has no PIS"),
            FieldDoc(
                "cpf",
                TEXT,
                "no",
                "11 digits, valid check digits (`CPF Inválido`); unique (`CPF já cadastrado.`)",
            ),
            FieldDoc(
                "email",
                TEXT,
                "no",
                "valid address (`E-mail inválido`); unique, case-insensitive "
                "(`E-mail já cadastrado.`)",
                EMAIL,
            ),
            FieldDoc("matricula_esocial", TEXT, "no", "up to 60 chars", chars(60, 0)),
            FieldDoc(
                "dataAdmissao",
                TEXT,
                "on insert",
                "`DD/MM/AAAA` (`Data de admissão inválida`)",
                DMY_DATE,
            ),
            FieldDoc(
                "dataDemissao",
                TEXT,
                "no",
                "`DD/MM/AAAA` (`Data de demissão inválida`), not before admission "
                "(`Data de demissão anterior à data de admissão`); empty string readmits",
                {**DMY_DATE, "pattern": r"^([0-9]{2}/[0-9]{2}/[0-9]{4})?$"},
            ),
            FieldDoc("localizacoes", TEXT_LIST, "no", "array of strings"),
            FieldDoc(
                "escala_padrao", TEXT, "no", "a schedule of the catalog (`Escala não encontrada`)"
            ),
            FieldDoc(
                "centro_custo", TEXT, "no", "a cost center (`Centro de custo não encontrado`)"
            ),
            FieldDoc(
                "filial", TEXT, "no", "numeroCadastro of a subsidiary (`Filial não encontrada`)"
            ),
            FieldDoc("cargo", TEXT, "no", "job title, up to 150 chars", chars(150, 0)),
        ),
        [
            {
                "matricula": "0001",
                "nome": "Ana Souza",
                "pis": "120.5648.729-4",
                "cpf": "529.982.247-25",
                "email": "ana@example.com",
                "dataAdmissao": "01/02/2024",
                "centro_custo": "ADM",
            }
        ],
    ),
    "costcenter": RouteDoc(
        "Cost centers, upserted by código",
        (
            FieldDoc("codigo", TEXT, "yes", "1–30 chars; the key", chars(30)),
            FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
        ),
        [
            {"codigo": "1", "nome": "Centro de custo 1"},
            {"codigo": "2", "nome": "Centro de custo 2"},
        ],
    ),
    "absences": RouteDoc(
        "Leaves, keyed by cod_interno (INS/ALT/DEL)",
        (
            _OPERATION,
            FieldDoc(
                "cod_interno",
                TEXT,
                "yes",
                "the key (`Código interno já cadastrado`, `Afastamento não encontrado`)",
            ),
            FieldDoc("matricula", TEXT, "INS/ALT", "an employee (`Funcionário não encontrado`)"),
            FieldDoc(
                "motivo",
                TEXT,
                "INS/ALT",
                "reason code or description (`Motivo de afastamento não encontrado`)",
            ),
            FieldDoc(
                "inicio",
                TEXT,
                "INS/ALT",
                "`AAAA-MM-DD` or `AAAA-MM-DDTHH:MM` (`Data inicial inválida`)",
                ABSENCE_TIME,
            ),
            FieldDoc(
                "fim",
                TEXT,
                "INS/ALT",
                "same formats, date-only = end of day, `24:00` allowed (`Data final inválida`); "
                "after inicio (`Data final anterior à data inicial`); no overlap "
                "(`Afastamento sobreposto a outro afastamento`)",
                ABSENCE_TIME,
            ),
            FieldDoc(
                "ignora_bloqueio", BOOLEAN, "no", "bypass locked competences (`Período bloqueado`)"
            ),
        ),
        [
            {
                "matricula": "00000001",
                "motivo": "Atestado médico",
                "inicio": "2024-01-11T10:00",
                "fim": "2024-01-15T23:00",
                "cod_interno": "w289fdf2",
                "operation": "INS",
            }
        ],
    ),
    "subsidiaries": RouteDoc(
        "Branches, upserted by numeroCadastro",
        (
            FieldDoc(
                "numeroCadastro",
                TEXT,
                "yes",
                "CNPJ or CPF with valid check digits (`CNPJ/CPF inválido`)",
            ),
            FieldDoc("razaoSocial", TEXT, "on insert", "1–150 chars", chars(150)),
            FieldDoc("telefoneDDD", TEXT, "no", "2 digits (`DDD inválido`)"),
            FieldDoc("telefone", TEXT, "no", "8 or 9 digits (`Telefone inválido`)"),
            FieldDoc("cep", TEXT, "no", "8 digits (`CEP inválido`)"),
            FieldDoc("endereco", TEXT, "no", "address"),
            FieldDoc("complemento", TEXT, "no", "address complement"),
            FieldDoc("bairro", TEXT, "no", "district"),
            FieldDoc("cidade", TEXT, "no", "city"),
            FieldDoc("estado", TEXT, "no", "a Brazilian state code (`UF inválida`)"),
            FieldDoc(
                "pais",
                TEXT,
                "no",
                "1–4 digits, default 1058 (`Campo inválido: pais`)",
                {"pattern": "^[0-9]{1,4}$"},
            ),
            FieldDoc("ativacao", BOOLEAN, "no", "default true; false deactivates"),
        ),
        [
            {
                "numeroCadastro": "11.222.333/0001-81",
                "razaoSocial": "Filial Centro Ltda",
                "telefoneDDD": "11",
                "telefone": "987654321",
                "cep": "01001-000",
                "endereco": "Praça da Sé, 1",
                "bairro": "Sé",
                "cidade": "São Paulo",
                "estado": "SP",
            }
        ],
    ),
    "users": RouteDoc(
        "Platform users, upserted by e-mail",
        (
            FieldDoc("email", TEXT, "yes", "the key, case-insensitive (`E-mail inválido`)", EMAIL),
            FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
            FieldDoc(
                "perfil", TEXT, "on insert", "a profile of the catalog (`Perfil não encontrado`)"
            ),
            FieldDoc("perfilNovo", TEXT, "no", "changes the profile (`Perfil não encontrado`)"),
            FieldDoc("localizacao", TEXT_LIST, "no", "array of strings"),
            FieldDoc("login_saml", TEXT, "no", "SSO login name"),
            FieldDoc(
                "remover",
                TEXT,
                "no",
                "`REMOVER` or `REMOVE` removes the user (`Usuário não encontrado`)",
            ),
        ),
        [{"email": "maria@example.com", "nome": "Maria", "perfil": "Gestor"}],
    ),
    "paymentDate": RouteDoc(
        "Payroll payment dates, upserted by (ano, mes, localizacao)",
        (
            FieldDoc(
                "ano", TEXT, "yes", "4 digits (`Competência inválida`)", {"pattern": "^[0-9]{4}$"}
            ),
            FieldDoc(
                "mes", TEXT, "yes", "1–12 (`Competência inválida`)", {"pattern": "^[0-9]{1,2}$"}
            ),
            FieldDoc(
                "dataPagamento",
                TEXT,
                "on insert",
                "`AAAA-MM-DD` (`Data de pagamento inválida`)",
                ISO_DATE,
            ),
            FieldDoc("localizacao", TEXT, "no", "empty = the whole company"),
            FieldDoc(
                "operation",
                TEXT,
                "no",
                "absent = upsert; `DEL` removes (`Data de pagamento não encontrada`)",
                {"enum": ["DEL"], "description": "any case"},
            ),
        ),
        [{"ano": "2024", "mes": "3", "dataPagamento": "2024-04-05"}],
    ),
    "anticipate": RouteDoc(
        "Salary advances, keyed by cod_interno (INS/ALT/DEL)",
        (
            _OPERATION,
            FieldDoc(
                "cod_interno",
                TEXT,
                "yes",
                "the key (`Código interno já cadastrado`, `Antecipação não encontrada`)",
            ),
            FieldDoc("matricula", TEXT, "INS/ALT", "an employee (`Funcionário não encontrado`)"),
            FieldDoc("data", TEXT, "INS/ALT", "`AAAA-MM-DD` (`Campo inválido: data`)", ISO_DATE),
            FieldDoc(
                "valor",
                TEXT,
                "INS/ALT",
                "> 0, `.` or `,` decimals, at most 2 (`Valor inválido`)",
                {"pattern": "^[0-9]+([.,][0-9]{1,2})?$", "examples": ["1500,00"]},
            ),
        ),
        [
            {
                "operation": "INS",
                "cod_interno": "ad-2024-03",
                "matricula": "0001",
                "data": "2024-03-15",
                "valor": "1500,00",
            }
        ],
    ),
}
