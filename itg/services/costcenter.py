"""costcenter — cost centers, upserted by `codigo` (SPEC 2.5)."""

from __future__ import annotations

from collections.abc import Sequence

from itg.domain import messages as msg
from itg.outcomes import RecordError
from itg.services.base import ChunkContext, IndexedRecord, Record, key_text
from itg.services.fields import Fields
from itg.services.rowindex import RowIndex
from itg.storage.rows import load_rows
from itg.storage.schema import cost_centers

KEY = "codigo"


class CostCenterService:
    route = "costcenter"
    accepted_message = "Cost center's Integration on progress"

    def identifier(self, record: Record) -> str:
        return key_text(record, KEY)

    def apply_chunk(self, ctx: ChunkContext, records: Sequence[IndexedRecord]) -> list[RecordError]:
        # Read every record first: only keys that passed the coercion rules are looked up.
        inputs = [_parse(record) for _, record in records]
        keys = {code for _, code, _ in inputs if code is not None}
        rows = RowIndex(
            cost_centers, load_rows(ctx.conn, cost_centers, ctx.company_id, {KEY: keys}), KEY
        )
        errors = []
        for (index, record), (f, code, name) in zip(records, inputs, strict=True):
            existing = rows.get(code) if code is not None else None
            if code is not None and existing is None:
                f.require_on_insert("nome")
            if not f.ok:
                errors.append(RecordError(index, self.identifier(record), tuple(f.messages)))
                continue
            if existing is None:
                rows.add(
                    {"company_id": ctx.company_id, KEY: code, "nome": name, "updated_at": ctx.now}
                )
            elif name is not None:
                rows.change(existing, {"nome": name, "updated_at": ctx.now})
        rows.flush(ctx.conn)
        return errors


def _parse(record: Record) -> tuple[Fields, str | None, str | None]:
    """The record's fields, its key and its name (None when absent or invalid)."""
    f = Fields(record)
    code = f.key(KEY, 30)
    name = f.text("nome", 150)
    if name == "":
        f.fail(msg.required("nome"))
    return f, code, name
