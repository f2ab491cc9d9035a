"""What the operation-driven routes share (absences, anticipate): INS/ALT/DEL by `cod_interno`.

Both routes key a record by `cod_interno`, choose what it does with `operation`, name it in
errors by `matricula` when sent (else by `cod_interno`), and resolve `matricula` to an
employee of the company.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from itg.domain import messages as msg
from itg.services.base import ChunkContext, Record, Row, key_text
from itg.services.docs import TEXT, FieldDoc
from itg.services.fields import Fields

KEY = "cod_interno"
KEY_MAX_LENGTH = 60  # the column's length; a longer code cannot exist
OPERATION = "operation"
MATRICULA = "matricula"
# Longer than any stored matrícula (30): such a value is simply not found.
MATRICULA_MAX_LENGTH = 1000

OPERATION_DOC = FieldDoc(
    OPERATION,
    TEXT,
    "yes",
    "`INS`, `ALT` or `DEL`, any case (`Operação inválida`)",
    {"enum": ["INS", "ALT", "DEL"], "description": "any case"},
)


class Operation(StrEnum):
    INS = "INS"
    ALT = "ALT"
    DEL = "DEL"

    @property
    def writes(self) -> bool:
        """INS and ALT carry the whole record (ALT replaces it); DEL needs only the key."""
        return self is not Operation.DEL


@dataclass
class OperationInput:
    """The parts every operation-driven record has, read by the coercion rules of SPEC 2.1."""

    fields: Fields
    code: str | None
    operation: Operation | None
    matricula: str | None  # None when absent, blank, wrong type, or the operation is DEL


def identifier(record: Record) -> str:
    """`matricula` if present, else `cod_interno` (SPEC 2.1); wrong types count as absent."""
    return key_text(record, MATRICULA) or key_text(record, KEY)


def parse_operation_input(record: Record, required_for_writes: Iterable[str]) -> OperationInput:
    """Read key, operation and matrícula; for INS/ALT also require `required_for_writes`.

    Without a usable key the record gets only the format errors of the fields it carries
    (SPEC 2.1), like the upsert routes: what an INS/ALT would also need is not reported.
    """
    f = Fields(record)
    code = f.key(KEY, KEY_MAX_LENGTH)
    operation = read_operation(f)
    matricula = None
    if operation is None or operation.writes:
        matricula = f.text(MATRICULA, MATRICULA_MAX_LENGTH) or None
    if code is not None and operation is not None and operation.writes:
        for name in (MATRICULA, *required_for_writes):
            f.require_on_insert(name)
    return OperationInput(f, code, operation, matricula)


def read_operation(f: Fields) -> Operation | None:
    """`INS`, `ALT` or `DEL` in any case; None (message recorded) when missing or other."""
    value = f.text(OPERATION, 16, msg.OPERATION_INVALID)
    if value is None and f.sent(OPERATION):
        return None  # a wrong type: `Operação inválida` is already recorded
    if not value:
        f.fail(msg.required(OPERATION))
        return None
    try:
        return Operation(value.upper())
    except ValueError:
        f.fail(msg.OPERATION_INVALID)
        return None


def check_key(f: Fields, operation: Operation, existing: Row | None, not_found: str) -> None:
    """INS needs a free `cod_interno`; ALT and DEL need an existing one."""
    if operation is Operation.INS and existing is not None:
        f.fail(msg.INTERNAL_CODE_TAKEN)
    elif operation is not Operation.INS and existing is None:
        f.fail(not_found)


class Employees:
    """The chunk's employees by matrícula, loaded with one query; absence routes never change
    people, so this view stays valid for the whole chunk."""

    def __init__(self, ctx: ChunkContext, inputs: Iterable[OperationInput]) -> None:
        wanted = {item.matricula for item in inputs if item.matricula}
        rows = ctx.store.lookup("people", {MATRICULA: wanted})
        self._ids: dict[str, int] = {row[MATRICULA]: row["id"] for row in rows}

    @property
    def ids(self) -> set[int]:
        return set(self._ids.values())

    def resolve(self, f: Fields, matricula: str | None) -> int | None:
        """The employee's id; `Funcionário não encontrado` when the matrícula is unknown."""
        if matricula is None:
            return None
        person_id = self._ids.get(matricula)
        if person_id is None:
            f.fail(msg.EMPLOYEE_NOT_FOUND)
        return person_id
