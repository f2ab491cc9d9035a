"""paymentDate — payroll payment date of a competence, upserted by (ano, mes, localizacao)
(SPEC 2.8)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from itg.domain import messages as msg
from itg.domain.dates import parse_iso_date
from itg.services.base import ChunkContext, Record, Row, Service, key_text
from itg.services.docs import ISO_DATE, TEXT, FieldDoc, RouteDoc
from itg.services.fields import Fields, removal_requested

# [0-9] rather than \d: \d also matches non-ASCII digits.
_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"[0-9]{1,2}")
_WHOLE_COMPANY = ""  # localizacao is NOT NULL and part of the key: "" = the whole company

Key = tuple[int, int, str]  # (ano, mes, localizacao)


@dataclass
class PaymentInput:
    """One record after format checks; `key` is None when the competence is unusable."""

    fields: Fields
    key: Key | None
    remove: bool
    payment_date: date | None


def parse(record: Record) -> PaymentInput:
    f = Fields(record)
    year, month = _part(f, "ano", _YEAR, range(1, 10_000)), _part(f, "mes", _MONTH, range(1, 13))
    place = f.text("localizacao", 150)
    remove = removal_requested(f, "operation", ("DEL",), msg.OPERATION_INVALID)
    # A localizacao of a wrong type leaves the key unknown, like a missing ano or mes.
    place_known = place is not None or not f.sent("localizacao")
    key = None
    if year is not None and month is not None and place_known:
        key = (year, month, place or _WHOLE_COMPANY)
    payment_date = None
    if not remove:  # a removal needs only the key: dataPagamento is not read
        payment_date = _payment_date(f)
    return PaymentInput(f, key, remove, payment_date)


def _part(f: Fields, name: str, pattern: re.Pattern[str], allowed: range) -> int | None:
    """`ano` or `mes`: missing/blank is `Campo obrigatório`, anything else wrong is
    `Competência inválida`; None (message recorded) unless valid."""
    value = f.key(name, 4, msg.COMPETENCE_INVALID)
    if value is None:
        return None
    if pattern.fullmatch(value) is None or int(value) not in allowed:
        f.fail(msg.COMPETENCE_INVALID)
        return None
    return int(value)


def _payment_date(f: Fields) -> date | None:
    text = f.text("dataPagamento", 10, msg.PAYMENT_DATE_INVALID)
    if text == "":
        f.fail(msg.required("dataPagamento"))  # the date cannot be cleared
    elif text is not None:
        parsed = parse_iso_date(text)
        if parsed is None:
            f.fail(msg.PAYMENT_DATE_INVALID)
        return parsed
    return None


def identifier(record: Record) -> str:
    """`ano` and `mes` as sent, joined by "-" ("" when both are missing; SPEC 2.1)."""
    year, month = key_text(record, "ano"), key_text(record, "mes")
    return f"{year}-{month}" if year or month else ""


def _row_key(row: Row) -> Key:
    return (row["ano"], row["mes"], row["localizacao"])


class PaymentDatesView:
    """The payment dates of the chunk's years, loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[PaymentInput]) -> None:
        self.ctx = ctx
        years = {payment.key[0] for payment in inputs if payment.key}
        # The key spans three columns and the store indexes one: `rows` tracks the changes
        # (keyed by the surrogate id, so it never sees a rename) and `by_key` finds the rows.
        self.rows = ctx.store.load("payment_dates", {"ano": years}, key="id")
        self.by_key = {_row_key(row): row for row in self.rows.loaded}

    def apply(self, payment: PaymentInput) -> list[str]:
        """Validate one record against the chunk's view; upsert or remove when it is sound."""
        f, key, by_key = payment.fields, payment.key, self.by_key
        if key is None:
            return f.messages  # competence missing or invalid: format errors only (SPEC 2.1)
        existing = by_key.get(key)
        if payment.remove:
            if existing is None:
                f.fail(msg.PAYMENT_DATE_NOT_FOUND)
            elif f.ok:
                self.rows.remove(existing)
                del by_key[key]
            return f.messages
        if existing is None:
            f.require_on_insert("dataPagamento")
        if not f.ok:
            return f.messages
        now = self.ctx.now
        if existing is None:
            row: dict[str, Any] = {
                "company_id": self.ctx.company_id,
                "ano": key[0],
                "mes": key[1],
                "localizacao": key[2],
                "data_pagamento": payment.payment_date,
                "updated_at": now,
            }
            self.rows.add(row)
            by_key[key] = row
        elif payment.payment_date is not None:
            self.rows.change(existing, {"data_pagamento": payment.payment_date, "updated_at": now})
        return []


DOC = RouteDoc(
    "Payroll payment dates, upserted by (ano, mes, localizacao)",
    (
        FieldDoc(
            "ano", TEXT, "yes", "4 digits (`Competência inválida`)", {"pattern": "^[0-9]{4}$"}
        ),
        FieldDoc("mes", TEXT, "yes", "1–12 (`Competência inválida`)", {"pattern": "^[0-9]{1,2}$"}),
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
)

SERVICE = Service(
    route="paymentDate",
    accepted_message="Payment date Integration on progress",
    identifier=identifier,
    parse=parse,
    view=PaymentDatesView,
    doc=DOC,
)
