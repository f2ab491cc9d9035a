"""Reads behind the Integration Process Monitor: requests, their windows and error rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, select

from itg.storage.schema import record_errors, requests, windows

# Every unique and subunique is 8 lowercase hexadecimal characters (SPEC 1.5): any other text
# names no process and is not looked up, also because PostgreSQL refuses some (U+0000).
ID = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class ProcessRow:
    id: int
    subunique: str
    unique: str
    route: str
    status: str
    done: int
    total: int
    failed: int
    created_at: datetime
    finished_at: datetime | None


# (request_id, index, identifier, messages as a JSON array): plain tuples, because a process
# may have a thousand of them and they are only turned into JSON bytes.
ErrorRow = tuple[int, int, str, str]


def process_query() -> Select:  # type: ignore[type-arg]
    """The columns of a ProcessRow, requests joined to their windows (add the conditions)."""
    return select(
        requests.c.id,
        requests.c.subunique,
        windows.c.unique_code,
        requests.c.route,
        requests.c.status,
        requests.c.done,
        requests.c.total,
        requests.c.failed,
        requests.c.created_at,
        requests.c.finished_at,
    ).join(windows, windows.c.id == requests.c.window_id)


def _to_row(row) -> ProcessRow:  # type: ignore[no-untyped-def]
    return ProcessRow(*row)


def by_subunique(conn: Connection, company_id: int, subunique: str) -> ProcessRow | None:
    if not ID.fullmatch(subunique):
        return None
    row = conn.execute(
        process_query().where(
            requests.c.company_id == company_id, requests.c.subunique == subunique
        )
    ).first()
    return None if row is None else _to_row(row)


def by_unique(conn: Connection, company_id: int, unique: str) -> list[ProcessRow]:
    """The processes of one window, in acceptance order."""
    if not ID.fullmatch(unique):
        return []
    rows = conn.execute(
        process_query()
        .where(windows.c.company_id == company_id, windows.c.unique_code == unique)
        .order_by(requests.c.id)
    )
    return [_to_row(row) for row in rows]


def _error_query() -> Select:  # type: ignore[type-arg]
    """The columns of an ErrorRow, in request order then input order (add the conditions)."""
    return select(
        record_errors.c.request_id,
        record_errors.c.idx,
        record_errors.c.identifier,
        record_errors.c.messages,
    ).order_by(record_errors.c.request_id, record_errors.c.idx)


def errors_of(conn: Connection, request_ids: Sequence[int]) -> Sequence[ErrorRow]:
    """Error rows of these requests, in request order then input order."""
    return conn.execute(
        _error_query().where(record_errors.c.request_id.in_(request_ids))
    ).all()  # rows unpack like the tuples ErrorRow names


def error_batch(
    conn: Connection, request_ids: Sequence[int], after: int, limit: int
) -> list[ErrorRow]:
    """At most `limit` error rows of `request_ids` (ascending), in request then input order,
    those of the first request only past index `after`: one page of a keyset pagination on the
    primary key (request_id, idx). Each query is an index range read that starts where the
    page does (no rescan of what earlier pages listed), however large the request."""
    first, rest = request_ids[0], request_ids[1:]
    rows: list[ErrorRow] = list(
        conn.execute(
            _error_query()
            .where(record_errors.c.request_id == first, record_errors.c.idx > after)
            .limit(limit)
        ).all()
    )
    if rest and len(rows) < limit:
        rows += conn.execute(
            _error_query().where(record_errors.c.request_id.in_(rest)).limit(limit - len(rows))
        ).all()
    return rows
