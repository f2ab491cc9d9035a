"""absences — leaves, operation-driven (INS/ALT/DEL) and keyed by `cod_interno` (SPEC 2.4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from itg.domain import messages as msg
from itg.domain.catalog import catalog_key
from itg.domain.dates import competence_interval, parse_competence, parse_end, parse_start
from itg.services.base import ChunkContext, Record, Row, Service
from itg.services.docs import BOOLEAN, TEXT, FieldDoc, RouteDoc
from itg.services.fields import Fields
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

Interval = tuple[datetime, datetime]  # half-open [inicio, fim)

# Longer than any reason's code or description: such a value is simply not found.
_MOTIVO_MAX_LENGTH = 1000
# `AAAA-MM-DDTHH:MM` is 16 characters; anything longer is not one of the formats.
_MOMENT_MAX_LENGTH = 16


@dataclass
class AbsenceInput:
    """One record after format checks; `interval` only when both ends are valid and ordered."""

    common: OperationInput
    motivo: str | None
    interval: Interval | None
    ignore_lock: bool


def parse(record: Record) -> AbsenceInput:
    common = parse_operation_input(record, ("motivo", "inicio", "fim"))
    f, operation = common.fields, common.operation
    ignore_lock = bool(f.boolean("ignora_bloqueio"))
    if operation is Operation.DEL:
        # DEL needs only the key: whatever else an ERP sends along is ignored.
        return AbsenceInput(common, None, None, ignore_lock)
    motivo = f.text("motivo", _MOTIVO_MAX_LENGTH) or None
    start = _moment(f, "inicio", parse_start, msg.START_DATE_INVALID)
    end = _moment(f, "fim", parse_end, msg.END_DATE_INVALID)
    interval = None
    if start is not None and end is not None:
        if end <= start:  # half-open: an empty interval is no absence
            f.fail(msg.END_BEFORE_START)
        else:
            interval = (start, end)
    return AbsenceInput(common, motivo, interval, ignore_lock)


def _moment(
    f: Fields, name: str, parser: Callable[[str], datetime | None], invalid: str
) -> datetime | None:
    text = f.text(name, _MOMENT_MAX_LENGTH, invalid)
    if not text:
        return None  # missing or blank: required only for INS/ALT, checked by the caller
    moment = parser(text)
    if moment is None:
        f.fail(invalid)
    return moment


class AbsencesView:
    """Everything a chunk of absences can touch: employees, reasons, absences and locks,
    each loaded with one query."""

    def __init__(self, ctx: ChunkContext, inputs: Sequence[AbsenceInput]) -> None:
        self.ctx = ctx
        self.employees = Employees(ctx, [item.common for item in inputs])
        self._load_reasons({catalog_key(item.motivo) for item in inputs if item.motivo})
        # Absences by key (for INS/ALT/DEL) and every absence of the chunk's employees (for
        # overlaps), in one query.
        codes = {item.common.code for item in inputs if item.common.code}
        self.absences = ctx.store.load(
            "absences", {KEY: codes, "person_id": self.employees.ids}, key=KEY
        )
        self.by_person: dict[int, list[Row]] = {}
        for row in self.absences.loaded:
            self.by_person.setdefault(row["person_id"], []).append(row)
        self.locked = _month_intervals(ctx.store.locked_competences())

    def _load_reasons(self, keys: set[str]) -> None:
        rows = self.ctx.store.lookup("reasons", {"code_key": keys, "description_key": keys})
        self.reason_by_code: dict[str, int] = {}
        self.reason_by_description: dict[str, int] = {}
        # Descriptions need not be unique: the oldest reason wins, so the choice is stable.
        for row in sorted(rows, key=lambda r: r["id"]):
            self.reason_by_code.setdefault(row["code_key"], row["id"])
            self.reason_by_description.setdefault(row["description_key"], row["id"])

    def apply(self, item: AbsenceInput) -> list[str]:
        """Validate one record against the current view; apply it when it has no fault."""
        common = item.common
        f, code, operation = common.fields, common.code, common.operation
        if code is None:
            return f.messages  # key missing: no lookups (SPEC 2.1)
        person_id = self.employees.resolve(f, common.matricula)
        reason_id = self._reason(f, item.motivo)
        if operation is None:
            return f.messages  # unknown operation: nothing more can be judged
        existing = self.absences.get(code)
        check_key(f, operation, existing, msg.ABSENCE_NOT_FOUND)
        previous = existing if operation is not Operation.INS else None
        if person_id is not None and item.interval is not None:
            if self._overlaps(person_id, item.interval, code):
                f.fail(msg.ABSENCE_OVERLAP)
        if not item.ignore_lock and self._touches_lock(previous, item.interval):
            f.fail(msg.PERIOD_LOCKED)
        if not f.ok:
            return f.messages
        if operation is Operation.DEL:
            assert previous is not None  # check_key guarantees it
            self._remove(previous)
            return []
        assert person_id is not None and reason_id is not None and item.interval is not None
        values = {
            "person_id": person_id,
            "reason_id": reason_id,
            "inicio": item.interval[0],
            "fim": item.interval[1],
            "updated_at": self.ctx.now,
        }
        if previous is not None:
            self._remove(previous, keep_row=True)
            self.absences.change(previous, values)
            self.by_person.setdefault(person_id, []).append(previous)
        else:
            row = {"company_id": self.ctx.company_id, KEY: code, **values}
            self.absences.add(row)
            self.by_person.setdefault(person_id, []).append(row)
        return []

    def _reason(self, f: Fields, motivo: str | None) -> int | None:
        """A reason matched by code, else by description, case-insensitive and trimmed."""
        if motivo is None:
            return None
        key = catalog_key(motivo)
        reason_id = self.reason_by_code.get(key) or self.reason_by_description.get(key)
        if reason_id is None:
            f.fail(msg.ABSENCE_REASON_NOT_FOUND)
        return reason_id

    def _overlaps(self, person_id: int, interval: Interval, code: str) -> bool:
        """Whether [start, end) meets another absence of the employee (touching is fine).

        The absence under the same code is skipped: for ALT it is the version being
        replaced; for an INS of a taken code, `Código interno já cadastrado` says it all.
        """
        start, end = interval
        return any(
            row[KEY] != code and row["inicio"] < end and start < row["fim"]
            for row in self.by_person.get(person_id, ())
        )

    def _touches_lock(self, previous: Row | None, interval: Interval | None) -> bool:
        """Whether the old or the new interval touches a locked competence.

        Each locked month is compared as the half-open interval [1st, next 1st), so an
        interval ending at 00:00 of a month's first day does not touch that month, and a
        decades-long absence costs one comparison per lock, not one per month.
        """
        intervals = [interval] if interval is not None else []
        if previous is not None:
            intervals.append((previous["inicio"], previous["fim"]))
        return any(
            month_start < end and start < month_end
            for start, end in intervals
            for month_start, month_end in self.locked
        )

    def _remove(self, row: Row, *, keep_row: bool = False) -> None:
        """Take the row out of the per-employee view (and out of storage unless it is kept)."""
        siblings = self.by_person.get(row["person_id"], [])
        self.by_person[row["person_id"]] = [other for other in siblings if other is not row]
        if not keep_row:
            self.absences.remove(row)


def _month_intervals(competences: set[str]) -> list[Interval]:
    """Locked competences (`AAAA-MM`) as half-open intervals of time."""
    parsed = (parse_competence(competence) for competence in competences)
    return [competence_interval(*month) for month in parsed if month is not None]


_MOMENT = {
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?$",
    "examples": ["2024-01-11", "2024-01-11T10:00"],
}

DOC = RouteDoc(
    "Leaves, keyed by cod_interno (INS/ALT/DEL)",
    (
        OPERATION_DOC,
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
            _MOMENT,
        ),
        FieldDoc(
            "fim",
            TEXT,
            "INS/ALT",
            "same formats, date-only = end of day, `24:00` allowed (`Data final inválida`); "
            "after inicio (`Data final anterior à data inicial`); no overlap "
            "(`Afastamento sobreposto a outro afastamento`)",
            _MOMENT,
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
)

SERVICE = Service(
    route="absences",
    accepted_message="Absences Integration on progress",
    identifier=identifier,
    parse=parse,
    view=AbsencesView,
    doc=DOC,
)
