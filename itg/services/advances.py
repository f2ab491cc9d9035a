"""anticipate — salary advances, operation-driven (INS/ALT/DEL) and keyed by `cod_interno`
(SPEC 2.8)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from itg.domain import messages as msg
from itg.domain.dates import parse_iso_date
from itg.domain.money import parse_amount
from itg.services.base import ChunkContext, Record, Service
from itg.services.docs import ISO_DATE, TEXT, FieldDoc, RouteDoc
from itg.services.operations import (
    KEY,
    OPERATION_DOC,
    Employees,
    Operation,
    OperationInput,
    check_key,
    identifier,
    parse_operation_input,
)

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


class AdvancesView:
    """The chunk's employees and advances, each loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[AdvanceInput]) -> None:
        self.ctx = ctx
        self.employees = Employees(ctx, [item.common for item in inputs])
        codes = {item.common.code for item in inputs if item.common.code}
        self.advances = ctx.store.load("advances", {KEY: codes}, key=KEY)

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


DOC = RouteDoc(
    "Salary advances, keyed by cod_interno (INS/ALT/DEL)",
    (
        OPERATION_DOC,
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
)

SERVICE = Service(
    route="anticipate",
    accepted_message="Anticipate Integration on progress",
    identifier=identifier,
    parse=parse,
    view=AdvancesView,
    doc=DOC,
)
