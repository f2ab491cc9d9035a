"""What every route's service provides, and the context a chunk is applied in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from itg.domain.coerce import identifier_text
from itg.outcomes import RecordError

Record = Mapping[str, Any]
IndexedRecord = tuple[int, Record]


@dataclass(frozen=True)
class ChunkContext:
    """One chunk's transaction: every read and write of the chunk goes through `conn`."""

    conn: Connection
    company_id: int
    now: datetime


class Service(Protocol):
    route: str
    accepted_message: str

    def identifier(self, record: Record) -> str:
        """The record's key as sent, for error entries (SPEC 2.1)."""
        ...

    def apply_chunk(self, ctx: ChunkContext, records: Sequence[IndexedRecord]) -> list[RecordError]:
        """Validate and apply records in order; return the failed ones (they change nothing)."""
        ...


def key_text(record: Record, field: str) -> str:
    """A key field as sent, for error identifiers (SPEC 2.1; see `identifier_text`)."""
    return identifier_text(record.get(field))
