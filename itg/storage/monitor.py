"""Reads behind the Integration Process Monitor: requests, their windows and error rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, select

from itg.storage.schema import record_errors, requests, windows


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
    row = conn.execute(
        process_query().where(
            requests.c.company_id == company_id, requests.c.subunique == subunique
        )
    ).first()
    return None if row is None else _to_row(row)


def by_unique(conn: Connection, company_id: int, unique: str) -> list[ProcessRow]:
    """The processes of one window, in acceptance order."""
    rows = conn.execute(
        process_query()
        .where(windows.c.company_id == company_id, windows.c.unique_code == unique)
        .order_by(requests.c.id)
    )
    return [_to_row(row) for row in rows]


def errors_of(conn: Connection, request_ids: Sequence[int]) -> Sequence[ErrorRow]:
    """Error rows of these requests, in request order then input order."""
    return (
        conn.execute(
            select(
                record_errors.c.request_id,
                record_errors.c.idx,
                record_errors.c.identifier,
                record_errors.c.messages,
            )
            .where(record_errors.c.request_id.in_(request_ids))
            .order_by(record_errors.c.request_id, record_errors.c.idx)
        ).all()  # rows unpack like the tuples ErrorRow names
    )
