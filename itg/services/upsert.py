"""Pieces shared by the upsert-style routes (subsidiaries, users, paymentDate).

Each of them walks a chunk record by record against one in-memory view, copies optional
text fields with the same "blank clears it" rule, and reads a removal keyword (`remover`,
`operation`) with the same "blank means no, one of these words means yes" rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from itg.domain import messages as msg
from itg.outcomes import RecordError
from itg.services.base import ChunkContext, IndexedRecord, Record
from itg.services.fields import Fields

Parsed = TypeVar("Parsed")
Parsed_contra = TypeVar("Parsed_contra", contravariant=True)


def apply_in_order(
    records: Sequence[IndexedRecord],
    parsed: Sequence[Parsed],
    identifier: Callable[[Record], str],
    apply_one: Callable[[Parsed], list[str]],
) -> list[RecordError]:
    """Apply parsed records in array order (each sees the ones before it); collect failures.

    `parsed[i]` is `records[i]` after its format checks; `apply_one` returns its faults.
    """
    errors = []
    for (index, record), item in zip(records, parsed, strict=True):
        faults = apply_one(item)
        if faults:
            errors.append(RecordError(index, identifier(record), tuple(faults)))
    return errors


class ChunkView(Protocol[Parsed_contra]):
    """A chunk's in-memory view: validates and applies one parsed record, then writes all."""

    def apply(self, item: Parsed_contra) -> list[str]: ...

    def flush(self, conn: Connection) -> None: ...


def apply_chunk_with(
    ctx: ChunkContext,
    records: Sequence[IndexedRecord],
    parse: Callable[[Record], Parsed],
    view: Callable[[ChunkContext, list[Parsed]], ChunkView[Parsed]],
    identifier: Callable[[Record], str],
) -> list[RecordError]:
    """The whole life of a chunk: parse every record, load the view once, apply in order,
    write the view back; returns the failed records."""
    inputs = [parse(record) for _, record in records]
    state = view(ctx, inputs)
    errors = apply_in_order(records, inputs, identifier, state.apply)
    state.flush(ctx.conn)
    return errors


def set_text(
    f: Fields,
    changes: dict[str, Any],
    name: str,
    column: str,
    max_length: int,
    *,
    clearable: bool = True,
) -> None:
    """Copy a text field into `changes`.

    Blank clears an optional field (None); for a field that cannot be empty (a name) blank
    is `Campo obrigatório`, whether the record inserts or updates, as people and costcenter do.
    """
    value = f.text(name, max_length)
    if value is None:
        return
    if value == "":
        if clearable:
            changes[column] = None
        else:
            f.fail(msg.required(name))
        return
    changes[column] = value


def removal_requested(f: Fields, name: str, words: Collection[str], invalid: str) -> bool:
    """A keyword field asking for removal: absent or blank = no, one of `words` (any case) = yes.

    Any other value (or a wrong JSON type) records `invalid` and answers no; the record fails
    anyway, so the answer only decides which further checks are meaningful.
    """
    value = f.text(name, 64, invalid)
    if not value:
        return False
    if value.casefold() in {word.casefold() for word in words}:
        return True
    f.fail(invalid)
    return False
