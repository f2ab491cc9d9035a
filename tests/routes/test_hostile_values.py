"""The hostile-value matrix (SPEC 2.1 control characters and identifiers, SPEC 6 "Numbers";
issue 8): every route, hostile values in the key and in non-key text fields, on SQLite and on
PostgreSQL.

For each slot (a route's field) one request interleaves a valid record with a record holding
each value of VALUES there. The valid records are applied, each other record ends with its
exact SPEC message (or is applied when the value is acceptable text), nothing ends with
`Erro interno ao processar registro`, and the monitor body (minus what names the request and
its times) equals one expected value built from these tables — the same on both engines, so
nothing PostgreSQL cannot store ever reaches it. End to end through HTTP (`api`): what the
wire and the stored error entries do with these values is part of what is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Table, select

from itg.storage.schema import (
    absences,
    advances,
    cost_centers,
    payment_dates,
    people,
    platform_users,
    requests,
    subsidiaries,
)
from tests.builders import cnpj, employee
from tests.driving import Driver

INTERNAL_ERROR = "Erro interno ao processar registro"
UNNAMED = ("company", "unique", "subunique", "created_at", "finished_at")
APPLIED = None  # an outcome: the record is applied

# What the SPEC says about a kind of value, when a slot does not say otherwise.
CONTROL = "control character"  # always `Campo inválido: <campo>` (SPEC 2.1)
BIG = "number of magnitude >= 2^53"  # always `Campo inválido: <campo>` (SPEC 6)
ALLOWED = "text with tab, CR, LF"
HIGH = "high code point"
LONG = "100k characters"
NUMBER = "number just below 2^53"
SHAPE = "array, object or boolean"
NULL = "null"

LONG_TEXT = "x" * 100_000


@dataclass(frozen=True)
class Value:
    label: str
    sent: Any  # the JSON value put in the field
    kind: str
    shown: str  # the identifier when the value is the key (SPEC 2.1)


VALUES = (
    Value("NUL", "a\x00b", CONTROL, "a\ufffdb"),
    Value("NUL last", "ab\x00", CONTROL, "ab\ufffd"),
    Value("U+0001", "a\x01b", CONTROL, "a\x01b"),
    Value("U+001F last", " a\x1f", CONTROL, "a\x1f"),  # str.strip alone would drop U+001F
    Value("U+007F", "a\x7fb", CONTROL, "a\x7fb"),
    Value("U+000B U+000C", "a\x0b\x0cb", CONTROL, "a\x0b\x0cb"),
    Value("tab CR LF", "a\tb\r\nc", ALLOWED, "a\tb\r\nc"),
    Value("U+FFFF", "a\uffff", HIGH, "a\uffff"),
    Value("U+10FFFF", "b\U0010ffff", HIGH, "b\U0010ffff"),
    Value("100k chars", LONG_TEXT, LONG, LONG_TEXT),
    Value("2^53-1", 2**53 - 1, NUMBER, "9007199254740991"),
    Value("2^53", 2**53, BIG, ""),
    Value("-2^53", -(2**53), BIG, ""),
    Value("2^53 float", 2.0**53, BIG, ""),
    Value("21 digits", 123456789012345678901, BIG, ""),  # orjson parses it as a float
    Value("1e300", 1e300, BIG, ""),
    Value("array", ["a"], SHAPE, ""),
    Value("object", {"a": "b"}, SHAPE, ""),
    Value("boolean", True, SHAPE, ""),
    Value("null", None, NULL, ""),
)


@dataclass(frozen=True)
class Route:
    name: str
    record: Callable[[int], dict[str, Any]]  # a valid record, distinct for each n
    identifier: Callable[[int], str]  # its identifier in error entries
    table: Table
    key: str  # the column naming a stored row
    key_field: str  # the record's field stored there


def _absence(n: int) -> dict[str, Any]:
    day = (date(2024, 1, 1) + timedelta(days=n)).isoformat()  # one day each: no overlap
    return {"operation": "INS", "cod_interno": f"A{n}", "matricula": "E1", "motivo": "R1"} | {
        "inicio": day,
        "fim": day,
    }


ROUTES = {
    route.name: route
    for route in (
        Route(
            "people",
            lambda n: (
                {"matricula": f"P{n}", "nome": "Ana", "sem_pis": True}
                | {"dataAdmissao": "01/01/2020"}
            ),
            lambda n: f"P{n}",
            people,
            "matricula",
            "matricula",
        ),
        Route(
            "costcenter",
            lambda n: {"codigo": f"C{n}", "nome": "Centro"},
            lambda n: f"C{n}",
            cost_centers,
            "codigo",
            "codigo",
        ),
        Route(
            "subsidiaries",
            lambda n: {"numeroCadastro": cnpj(n), "razaoSocial": "Filial"},
            lambda n: cnpj(n),
            subsidiaries,
            "numero_cadastro",
            "numeroCadastro",
        ),
        Route(
            "users",
            lambda n: {"email": f"u{n}@x.com", "nome": "Ana", "perfil": "Gestor"},
            lambda n: f"u{n}@x.com",
            platform_users,
            "email",
            "email",
        ),
        Route(
            "paymentDate",
            lambda n: (
                {"ano": 2024, "mes": 1, "localizacao": f"L{n}"} | {"dataPagamento": "2024-01-05"}
            ),
            lambda n: "2024-1",
            payment_dates,
            "localizacao",
            "localizacao",
        ),
        Route("absences", _absence, lambda n: "E1", absences, "cod_interno", "cod_interno"),
        Route(
            "anticipate",
            lambda n: (
                {"operation": "INS", "cod_interno": f"V{n}", "matricula": "E1"}
                | {"data": "2024-01-05", "valor": "10.50"}
            ),
            lambda n: "E1",
            advances,
            "cod_interno",
            "cod_interno",
        ),
    )
}


def text_of(value: Any) -> str | None:
    """What an applied value is stored as: trimmed text, a number's digits, null = absent."""
    if value is None or isinstance(value, str):
        return value and value.strip()
    return str(value)


@dataclass(frozen=True)
class Slot:
    """A route's field that receives each value of VALUES."""

    route: str
    field: str
    key: bool = False  # the record's key (or part of it): required, shown as the identifier
    item: bool = False  # an array of strings: the value goes inside it, after a valid item
    wrap: str = "{}"  # how a string value is embedded into a plausible one, e.g. "{}@x.com"
    outcome: Mapping[str, str | None] = field(default_factory=dict)  # kind -> message
    # The error identifier from the value's `shown` (wrapped) and the record's n.
    identifier: Callable[[str, int], str] | None = None
    column: str | None = None  # where an applied value is stored (checked when given)
    stored: Callable[[Any], Any] = text_of  # what a value sent in the field is stored as

    def message(self, value: Value) -> str | None:
        """The record's one message (APPLIED = none): the SPEC's rule, then the slot's own."""
        if value.kind in (CONTROL, BIG):
            return f"Campo inválido: {self.field}"
        defaults = {
            LONG: f"Campo inválido: {self.field}",
            SHAPE: f"Campo inválido: {self.field}",
            NULL: f"Campo obrigatório: {self.field}" if self.key else APPLIED,
        }
        return self.outcome.get(value.kind, defaults.get(value.kind, APPLIED))

    def sent(self, value: Value) -> Any:
        wrapped = self.wrap.format(value.sent) if isinstance(value.sent, str) else value.sent
        return ["ok", wrapped] if self.item else wrapped

    def row(self, route: Route, record: dict[str, Any]) -> tuple[Any, Any]:
        """The stored row an applied record leaves: its key and the slot's column."""
        key_sent = record.get(route.key_field)
        key = self.stored(key_sent) if self.field == route.key_field else text_of(key_sent)
        return key, self.stored(record.get(self.field)) if self.column else None

    def error_identifier(self, value: Value, n: int) -> str:
        shown = self.wrap.format(value.shown) if isinstance(value.sent, str) else value.shown
        if self.identifier is not None:
            return self.identifier(shown, n)
        return shown if self.key else ROUTES[self.route].identifier(n)


def _items(sent: Any) -> str | None:
    """An array of strings is stored as its JSON text."""
    return None if sent is None else orjson.dumps([text_of(item) for item in sent]).decode()


EMAIL_INVALID = "E-mail inválido"
CNPJ_CPF_INVALID = "CNPJ/CPF inválido"
COMPETENCE_INVALID = "Competência inválida"
EMPLOYEE_NOT_FOUND = "Funcionário não encontrado"


def _matricula_or_code(prefix: str) -> Callable[[str, int], str]:
    """`matricula` if it is usable text, else `cod_interno` (SPEC 2.1)."""
    return lambda shown, n: shown or f"{prefix}{n}"


SLOTS = (
    Slot("people", "matricula", key=True),
    Slot("people", "nome", column="nome", outcome={NULL: "Campo obrigatório: nome"}),
    Slot(
        "people",
        "localizacoes",
        item=True,
        column="localizacoes",
        stored=_items,
        outcome={LONG: APPLIED, NULL: "Campo inválido: localizacoes"},
    ),
    Slot(
        "people",
        "email",
        wrap="{}@x.com",
        column="email",
        outcome={k: EMAIL_INVALID for k in (ALLOWED, LONG, NUMBER, SHAPE)},
    ),
    Slot("costcenter", "codigo", key=True),
    Slot("costcenter", "nome", column="nome", outcome={NULL: "Campo obrigatório: nome"}),
    Slot(
        "subsidiaries",
        "numeroCadastro",
        key=True,
        outcome={k: CNPJ_CPF_INVALID for k in (ALLOWED, HIGH, LONG, NUMBER, SHAPE)},
    ),
    Slot(
        "subsidiaries",
        "razaoSocial",
        column="razao_social",
        outcome={NULL: "Campo obrigatório: razaoSocial"},
    ),
    Slot(
        "users",
        "email",
        key=True,
        wrap="{}@x.com",
        outcome={k: EMAIL_INVALID for k in (ALLOWED, LONG, NUMBER, SHAPE)},
    ),
    Slot("users", "nome", column="nome", outcome={NULL: "Campo obrigatório: nome"}),
    Slot(
        "users",
        "localizacao",
        item=True,
        column="localizacao",
        stored=_items,
        outcome={LONG: APPLIED, NULL: "Campo inválido: localizacao"},
    ),
    Slot(
        "paymentDate",
        "ano",
        key=True,
        identifier=lambda shown, n: f"{shown}-1",
        outcome={k: COMPETENCE_INVALID for k in (ALLOWED, HIGH, LONG, NUMBER, SHAPE)},
    ),
    Slot(
        "paymentDate",
        "localizacao",
        key=True,
        identifier=lambda shown, n: "2024-1",
        stored=lambda value: text_of(value) or "",  # absent = the whole company
        outcome={NULL: APPLIED},
    ),
    Slot("absences", "cod_interno", key=True, identifier=lambda shown, n: "E1"),
    Slot(
        "absences",
        "matricula",
        identifier=_matricula_or_code("A"),
        outcome={k: EMPLOYEE_NOT_FOUND for k in (ALLOWED, HIGH, NUMBER)}
        | {NULL: "Campo obrigatório: matricula"},
    ),
    Slot(
        "absences",
        "motivo",
        outcome={k: "Motivo de afastamento não encontrado" for k in (ALLOWED, HIGH, NUMBER)}
        | {NULL: "Campo obrigatório: motivo"},
    ),
    Slot("anticipate", "cod_interno", key=True, identifier=lambda shown, n: "E1"),
    Slot(
        "anticipate",
        "matricula",
        identifier=_matricula_or_code("V"),
        outcome={k: EMPLOYEE_NOT_FOUND for k in (ALLOWED, HIGH, NUMBER)}
        | {NULL: "Campo obrigatório: matricula"},
    ),
    Slot(
        "anticipate",
        "valor",
        outcome={k: "Valor inválido" for k in (ALLOWED, HIGH, LONG, NUMBER, SHAPE)}
        | {NULL: "Campo obrigatório: valor"},
    ),
)


def _prepare(api: Driver, route: str) -> None:
    if route in ("absences", "anticipate"):
        api.ok("people", [employee("E1")])
        api.reason("R1", "Motivo um")


@pytest.mark.parametrize("slot", SLOTS, ids=lambda slot: f"{slot.route}.{slot.field}")
def test_hostile_values_in_one_field(api: Driver, slot: Slot) -> None:
    # Given a route's prerequisites
    route = ROUTES[slot.route]
    _prepare(api, route.name)
    # When one request interleaves valid records with one record per value of VALUES
    records: list[dict[str, Any]] = []
    expected_errors: list[dict[str, Any]] = []
    expected_rows: dict[Any, Any] = {}
    for i, value in enumerate(VALUES):
        n = 2 * i + 1
        valid, hostile = route.record(n - 1), route.record(n) | {slot.field: slot.sent(value)}
        records += [valid, hostile]
        expected_rows.update([slot.row(route, valid)])
        message = slot.message(value)
        if message is APPLIED:
            expected_rows.update([slot.row(route, hostile)])
        else:
            identifier = slot.error_identifier(value, n)
            expected_errors.append({"identifier": identifier, "index": n, "message": [message]})
    report = api.apply(route.name, records)
    # Then the valid records (and the acceptable values) are applied, each other record fails
    # with its SPEC message, and the body is the expected one on either engine
    body = {name: part for name, part in report.items() if name not in UNNAMED}
    assert INTERNAL_ERROR not in orjson.dumps(body).decode()
    expected = {
        "data": {"errors": expected_errors},
        "status": "warning",
        "progress": {"done": str(len(records)), "total": str(len(records))},
        "route": route.name,
    }
    _assert_same(body, expected)
    stored = dict(
        (row[route.key], row[slot.column] if slot.column else None) for row in api.rows(route.table)
    )
    assert stored == expected_rows


def _assert_same(body: dict[str, Any], expected: dict[str, Any]) -> None:
    """Byte-identical once serialised (key order included), with a readable diff on failure."""
    if orjson.dumps(body) == orjson.dumps(expected):
        return

    def by_index(errors: list[dict[str, Any]]) -> dict[int, tuple[str, list[str]]]:
        return {e["index"]: (e["identifier"][:20], e["message"]) for e in errors}

    got, want = by_index(body["data"]["errors"]), by_index(expected["data"]["errors"])
    labels = {2 * i + 1: value.label for i, value in enumerate(VALUES)}
    diff = {
        labels.get(index, index): (got.get(index), want.get(index))
        for index in sorted(set(got) | set(want))
        if got.get(index) != want.get(index)
    }
    assert diff == {}, diff
    assert body == expected


# -- lone surrogates: not JSON at all ------------------------------------------------------

KEYS = {
    "people": "matricula",
    "costcenter": "codigo",
    "subsidiaries": "numeroCadastro",
    "users": "email",
    "paymentDate": "localizacao",
    "absences": "cod_interno",
    "anticipate": "cod_interno",
}


@pytest.mark.parametrize("route", sorted(KEYS))
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud800x"])
def test_a_lone_surrogate_is_invalid_json(api: Driver, route: str, escape: str) -> None:
    # Given a body whose only flaw is a lone surrogate escape (valid JSON text grammar, but
    # not a Unicode string: orjson refuses it)
    body = f'[{{"{KEYS[route]}":"a{escape}","nome":"x"}}]'.encode()
    # When it is posted
    response = api.client.post(f"/{route}", content=body, headers=api.tenant.headers)
    # Then the request is refused as a whole and nothing is stored (the error's shape is
    # tests/api's concern: only its status and message are checked here)
    assert (response.status_code, response.json()["error"]) == (
        400,
        {"code": 400, "message": "Invalid JSON"},
    )
    with api.db.read() as conn:
        assert conn.execute(select(requests.c.id)).all() == []


# -- text that grows when case-folded ------------------------------------------------------

# 106 characters as sent, but its case-insensitive key ("ffi" x 100) is 306: past the e-mail
# column's 254, which PostgreSQL enforces and SQLite does not.
LIGATURES = "\ufb03" * 100 + "@x.com"


@pytest.mark.parametrize(
    ("route", "record"),
    [
        ("people", {"matricula": "P9", "nome": "Ana", "sem_pis": True, "email": LIGATURES}),
        ("users", {"email": LIGATURES, "nome": "Ana", "perfil": "Gestor"}),
    ],
)
def test_an_email_whose_key_outgrows_the_column_is_invalid(
    api: Driver, route: str, record: dict[str, Any]
) -> None:
    # Given a valid record and one whose e-mail folds to more than 254 characters
    valid = ROUTES[route].record(0)
    if route == "people":
        record = record | {"dataAdmissao": "01/01/2020"}
    # When both are applied
    report = api.apply(route, [valid, record])
    # Then the valid one is applied and the other fails alike on both engines
    identifier = "P9" if route == "people" else LIGATURES
    assert (report["status"], report["data"]["errors"]) == (
        "warning",
        [{"identifier": identifier, "index": 1, "message": ["E-mail inválido"]}],
    )
    assert len(api.rows(ROUTES[route].table)) == 1
