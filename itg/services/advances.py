"""anticipate — salary advances, operation-driven (INS/ALT/DEL) and keyed by `cod_interno`
(SPEC 2.8)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from itg.domain import messages as msg
from itg.domain.dates import parse_iso_date
from itg.domain.money import parse_amount
from itg.outcomes import RecordError
from itg.services.base import ChunkContext, IndexedRecord, Record
from itg.services.operations import (
    KEY,
    Employees,
    Operation,
    OperationInput,
    check_key,
    identifier,
    parse_operation_input,
)
from itg.services.rowindex import RowIndex
from itg.services.upsert import apply_chunk_with
from itg.storage.rows import load_rows
from itg.storage.schema import advances

# `valor` is Numeric(14, 2): twelve digits before the decimal separator at most.
_MAX_AMOUNT = Decimal("1000000000000")
# No valid amount of that column is longer (12 digits, separator, 2 decimals).
_AMOUNT_MAX_LENGTH = 15


@dataclass
class AdvanceInput:
    """One record after format checks."""

    common: OperationInput
    data: date | None
    valor: Decimal | None


def parse(record: Record) -> AdvanceInput:
    common = parse_operation_input(record, ("data", "valor"))
    f = common.fields
    if common.operation is Operation.DEL:
        # DEL needs only the key: whatever else an ERP sends along is ignored.
        return AdvanceInput(common, None, None)
    day = None
    text = f.text("data", 10, msg.invalid("data"))
    if text:
        day = parse_iso_date(text)
        if day is None:
            f.fail(msg.invalid("data"))
    amount = None
    text = f.text("valor", _AMOUNT_MAX_LENGTH, msg.AMOUNT_INVALID)
    if text:
        amount = parse_amount(text)
        if amount is None or amount >= _MAX_AMOUNT:
            f.fail(msg.AMOUNT_INVALID)
            amount = None
    return AdvanceInput(common, day, amount)


class ChunkState:
    """The chunk's employees and advances, each loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[AdvanceInput]) -> None:
        self.ctx = ctx
        self.employees = Employees(ctx, [item.common for item in inputs])
        codes = {item.common.code for item in inputs if item.common.code}
        loaded = load_rows(ctx.conn, advances, ctx.company_id, {KEY: codes})
        self.advances = RowIndex(advances, loaded, KEY)

    def flush(self, conn: Connection) -> None:
        """Write the chunk's changes back (batched, see RowIndex.flush)."""
        self.advances.flush(conn)

    def apply(self, item: AdvanceInput) -> list[str]:
        """Validate one record against the current view; apply it when it has no fault."""
        common = item.common
        f, code, operation = common.fields, common.code, common.operation
        if code is None:
            return f.messages  # key missing: no lookups (SPEC 2.1)
        person_id = self.employees.resolve(f, common.matricula)
        if operation is None:
            return f.messages  # unknown operation: nothing more can be judged
        existing = self.advances.get(code)
        check_key(f, operation, existing, msg.ADVANCE_NOT_FOUND)
        if not f.ok:
            return f.messages
        if operation is Operation.DEL:
            assert existing is not None  # check_key guarantees it
            self.advances.remove(existing)
            return []
        values = {
            "person_id": person_id,
            "data": item.data,
            "valor": item.valor,
            "updated_at": self.ctx.now,
        }
        if existing is not None:
            self.advances.change(existing, values)  # ALT replaces the advance
        else:
            self.advances.add({"company_id": self.ctx.company_id, KEY: code, **values})
        return []


class AdvancesService:
    route = "anticipate"
    accepted_message = "Anticipate Integration on progress"

    def identifier(self, record: Record) -> str:
        return identifier(record)

    def apply_chunk(self, ctx: ChunkContext, records: Sequence[IndexedRecord]) -> list[RecordError]:
        return apply_chunk_with(ctx, records, parse, ChunkState, self.identifier)
