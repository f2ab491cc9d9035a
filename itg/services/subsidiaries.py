"""subsidiaries — branches, upserted by `numeroCadastro` (SPEC 2.6).

The key is stored as digits only, so "11.222.333/0001-81" and "11222333000181" are one
branch, and people's `filial` (also compared as digits) finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from itg.domain import messages as msg
from itg.domain.coerce import digits_only
from itg.domain.contact import is_valid_cep, is_valid_ddd, is_valid_phone, is_valid_uf
from itg.domain.documents import is_valid_cnpj_or_cpf
from itg.services.base import ChunkContext, Record, Service, keyed_by
from itg.services.docs import BOOLEAN, TEXT, FieldDoc, RouteDoc, chars
from itg.services.fields import Fields, set_text

KEY = "numeroCadastro"
COLUMN = "numero_cadastro"
BRAZIL = "1058"
# Long enough for a CNPJ written with every separator; anything longer is not a document.
_KEY_MAX_LENGTH = 32

# field -> (column, check on the separator-free digits, message)
_DIGIT_FIELDS: dict[str, tuple[str, Callable[[str], bool], str]] = {
    "telefoneDDD": ("telefone_ddd", is_valid_ddd, msg.DDD_INVALID),
    "telefone": ("telefone", is_valid_phone, msg.PHONE_INVALID),
    "cep": ("cep", is_valid_cep, msg.CEP_INVALID),
}
# field -> max length (the column is named like the field)
_TEXT_FIELDS = {"endereco": 200, "complemento": 200, "bairro": 150, "cidade": 150}


@dataclass
class BranchInput:
    """One record after format checks: its key (digits) and the columns it sets."""

    fields: Fields
    number: str | None
    changes: dict[str, Any] = field(default_factory=dict)


def parse(record: Record) -> BranchInput:
    f = Fields(record)
    branch = BranchInput(f, _number(f))
    changes = branch.changes
    set_text(f, changes, "razaoSocial", "razao_social", 150, clearable=False)
    for name, (column, valid, message) in _DIGIT_FIELDS.items():
        digits = f.digits(name, message)
        if digits == "":
            changes[column] = None
        elif digits is not None:
            if valid(digits):
                changes[column] = digits
            else:
                f.fail(message)
    for name, max_length in _TEXT_FIELDS.items():
        set_text(f, changes, name, name, max_length)
    state = f.text("estado", 64, msg.UF_INVALID)
    if state == "":
        changes["estado"] = None
    elif state is not None:
        if is_valid_uf(state):
            changes["estado"] = state.lower()
        else:
            f.fail(msg.UF_INVALID)
    country = f.text("pais", 4)
    if country == "":
        changes["pais"] = BRAZIL  # pais cannot be empty: clearing it restores the default
    elif country is not None:
        if country.isascii() and country.isdigit():
            changes["pais"] = country
        else:
            f.fail(msg.invalid("pais"))
    active = f.boolean("ativacao")
    if active is not None:
        changes["ativo"] = active
    return branch


def _number(f: Fields) -> str | None:
    """The key as digits, or None (message recorded) when missing or not a valid CNPJ/CPF."""
    sent = f.key(KEY, _KEY_MAX_LENGTH, msg.CNPJ_CPF_INVALID)
    if sent is None:
        return None
    digits = digits_only(sent)
    if not is_valid_cnpj_or_cpf(digits):
        f.fail(msg.CNPJ_CPF_INVALID)
        return None
    return digits


class BranchesView:
    """The chunk's branches, loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[BranchInput]) -> None:
        self.ctx = ctx
        numbers = {branch.number for branch in inputs if branch.number}
        self.rows = ctx.store.load("subsidiaries", {COLUMN: numbers}, key=COLUMN)

    def apply(self, branch: BranchInput) -> list[str]:
        """Validate one record against the chunk's view; insert or update when it is sound."""
        f = branch.fields
        if branch.number is None:
            return f.messages  # key missing or invalid: format errors only (SPEC 2.1)
        existing = self.rows.get(branch.number)
        if existing is None:
            f.require_on_insert("razaoSocial")
        if not f.ok:
            return f.messages
        if existing is None:
            self.rows.add(
                {
                    **_INSERT_DEFAULTS,
                    "company_id": self.ctx.company_id,
                    COLUMN: branch.number,
                    **branch.changes,
                    "updated_at": self.ctx.now,
                }
            )
        elif branch.changes:
            self.rows.change(existing, {**branch.changes, "updated_at": self.ctx.now})
        return []


_INSERT_DEFAULTS: dict[str, Any] = {
    "telefone_ddd": None,
    "telefone": None,
    "cep": None,
    "endereco": None,
    "complemento": None,
    "bairro": None,
    "cidade": None,
    "estado": None,
    "pais": BRAZIL,
    "ativo": True,
}

DOC = RouteDoc(
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
)

SERVICE = Service(
    route="subsidiaries",
    accepted_message="Subsidiaries Integration on progress",
    identifier=keyed_by(KEY),
    parse=parse,
    view=BranchesView,
    doc=DOC,
)
