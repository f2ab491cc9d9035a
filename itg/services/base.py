"""What a route is, and the one life of a chunk that every route goes through.

A route is one frozen `Service` value (each route module ends with `SERVICE = Service(...)`),
listed once in itg/services/registry.py. A service never holds a connection: it reads and
writes through the `ChunkStore` of its `ChunkContext`, which storage implements
(itg/storage/chunk_store.py) on the chunk's transaction (SPEC 3.3).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from itg.domain import messages
from itg.domain.coerce import identifier_text
from itg.outcomes import RecordError
from itg.services.docs import RouteDoc

Record = Mapping[str, Any]
IndexedRecord = tuple[int, Record]
Row = dict[str, Any]  # one stored row, column -> value, as the store loads and writes it
Match = Mapping[str, Collection[Any]]  # column -> the values wanted (any of them, any column)

Parsed = TypeVar("Parsed")
Parsed_contra = TypeVar("Parsed_contra", contravariant=True)


class TrackedRows(Protocol):
    """Rows of one table loaded for a chunk, found by key or by a unique column, changed in
    memory (so each record sees the ones before it, SPEC 2.1) and written on `flush`."""

    loaded: list[Row]  # every row loaded: the same objects `change` updates

    def find(self, column: str, value: Any) -> Row | None: ...

    def get(self, key: Any) -> Row | None: ...

    def add(self, row: Row) -> None: ...

    def change(self, row: Row, changes: dict[str, Any]) -> None: ...

    def remove(self, row: Row) -> None: ...


class ChunkStore(Protocol):
    """Every read and write of one chunk, for one company: one query per call, batched writes
    on `flush`, so the statement count does not grow with the chunk (SPEC 6)."""

    @property
    def company_id(self) -> int: ...

    def load(
        self, table: str, match: Match, *, key: str, unique: tuple[str, ...] = ()
    ) -> TrackedRows:
        """Rows whose column equals any listed value, for any listed column; indexed by `key`
        and the `unique` columns, and written back by `flush`."""
        ...

    def lookup(self, table: str, match: Match) -> list[Row]:
        """Rows the chunk only reads (references), matched like `load`."""
        ...

    def load_all(self, table: str) -> list[Row]:
        """Every row of a small per-company table (a catalog)."""
        ...

    def locked_competences(self) -> set[str]:
        """The company's locked competences, `AAAA-MM` (SPEC 2.4)."""
        ...

    def flush(self) -> None:
        """Write what the loaded rows became."""
        ...


@dataclass(frozen=True)
class ChunkContext:
    """One chunk's transaction: its store (of one company) and the time it is applied at."""

    store: ChunkStore
    now: datetime

    @property
    def company_id(self) -> int:
        return self.store.company_id


class ChunkView(Protocol[Parsed_contra]):
    """A chunk's in-memory view, built once per chunk from its parsed records: validates one
    record against what the records before it left, applies it when it has no fault, and
    returns its messages (none = applied). It writes through the store, never directly."""

    def apply(self, item: Parsed_contra) -> list[str]: ...


@dataclass(frozen=True)
class Service(Generic[Parsed]):
    """One write route (SPEC 1.4, 2.3–2.8).

    `parse` reads a record by the coercion rules (format checks only, no storage);
    `view(ctx, parsed)` loads what the chunk touches and returns the view that applies each
    parsed record; `identifier` names a record in error entries (SPEC 2.1); `doc` is the
    route's OpenAPI description.
    """

    route: str
    accepted_message: str
    identifier: Callable[[Record], str]
    parse: Callable[[Record], Parsed]
    view: Callable[[ChunkContext, list[Parsed]], ChunkView[Parsed]]
    doc: RouteDoc

    def apply_chunk(self, ctx: ChunkContext, records: Sequence[IndexedRecord]) -> list[RecordError]:
        """The life of every chunk: parse every record, build the view once, apply in array
        order (each record sees the ones before it), write once; returns the failed records
        (they change nothing)."""
        inputs = [self.parse(record) for _, record in records]
        view = self.view(ctx, inputs)
        errors = []
        for (index, record), item in zip(records, inputs, strict=True):
            faults = view.apply(item)
            if faults:
                errors.append(RecordError(index, self.identifier(record), tuple(faults)))
        ctx.store.flush()
        return errors


def internal_errors(
    service: Service[Any] | None, records: Sequence[object], start: int, total: int
) -> list[RecordError]:
    """`Erro interno ao processar registro` for records `start`..`total` - 1 (SPEC 3.4: a
    request ended after repeated faults, or a dry run's faulty chunk on). `records` may be
    shorter than `total` (a payload that could not be read): the missing ones are named ""."""
    return [
        RecordError(
            index,
            _identifier_or_blank(service, records[index] if index < len(records) else None),
            (messages.INTERNAL_ERROR,),
        )
        for index in range(start, total)
    ]


def _identifier_or_blank(service: Service[Any] | None, record: object) -> str:
    """A record's identifier for an internal-error entry, or "" when it cannot be had: the
    fault may be the route or the record itself (no service, not an object, or the service
    failing on it)."""
    if service is None or not isinstance(record, dict):
        return ""
    try:
        return service.identifier(record)
    except Exception:  # the record may be what broke the service
        return ""


def key_text(record: Record, field: str) -> str:
    """A key field as sent, for error identifiers (SPEC 2.1; see `identifier_text`)."""
    return identifier_text(record.get(field))


def keyed_by(field: str) -> Callable[[Record], str]:
    """The identifier of a route whose records are named by one key field (SPEC 2.1)."""

    def identifier(record: Record) -> str:
        return key_text(record, field)

    return identifier
