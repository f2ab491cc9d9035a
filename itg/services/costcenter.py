"""costcenter — cost centers, upserted by `codigo` (SPEC 2.5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from itg.domain import messages as msg
from itg.services.base import ChunkContext, Record, Service, keyed_by
from itg.services.docs import TEXT, FieldDoc, RouteDoc, chars
from itg.services.fields import Fields

KEY = "codigo"


@dataclass
class CenterInput:
    """One record after format checks: its key and its name (None when absent or invalid)."""

    fields: Fields
    code: str | None
    name: str | None


def parse(record: Record) -> CenterInput:
    f = Fields(record)
    code = f.key(KEY, 30)
    name = f.text("nome", 150)
    if name == "":
        f.fail(msg.required("nome"))
    return CenterInput(f, code, name)


class CostCentersView:
    """The chunk's cost centers, loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[CenterInput]) -> None:
        self.ctx = ctx
        # Only keys that passed the coercion rules are looked up.
        keys = {item.code for item in inputs if item.code is not None}
        self.rows = ctx.store.load("cost_centers", {KEY: keys}, key=KEY)

    def apply(self, item: CenterInput) -> list[str]:
        """Validate one record against the chunk's view; insert or update when it is sound."""
        f, code = item.fields, item.code
        existing = self.rows.get(code) if code is not None else None
        if code is not None and existing is None:
            f.require_on_insert("nome")
        if not f.ok:
            return f.messages  # a missing key has its message: format errors only (SPEC 2.1)
        if existing is None:
            self.rows.add(
                {
                    "company_id": self.ctx.company_id,
                    KEY: code,
                    "nome": item.name,
                    "updated_at": self.ctx.now,
                }
            )
        elif item.name is not None:
            self.rows.change(existing, {"nome": item.name, "updated_at": self.ctx.now})
        return []


DOC = RouteDoc(
    "Cost centers, upserted by código",
    (
        FieldDoc("codigo", TEXT, "yes", "1–30 chars; the key", chars(30)),
        FieldDoc("nome", TEXT, "on insert", "1–150 chars", chars(150)),
    ),
    [
        {"codigo": "1", "nome": "Centro de custo 1"},
        {"codigo": "2", "nome": "Centro de custo 2"},
    ],
)

SERVICE = Service(
    route="costcenter",
    accepted_message="Cost center's Integration on progress",
    identifier=keyed_by(KEY),
    parse=parse,
    view=CostCentersView,
    doc=DOC,
)
