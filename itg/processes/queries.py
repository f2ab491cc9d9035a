"""The reads of the read side: processes (requests joined to their windows) and error rows.

Every query here is one statement on an index: a process by its subunique, a window's
processes, one page of the list (keyset on the request id), error rows by their primary key
(request_id, idx).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, func, or_, select
from sqlalchemy.orm import aliased

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
    cancel_requested: bool  # SPEC 1.9: shown in the monitor's bodies once true


# (request_id, index, identifier, messages as a JSON array): plain tuples, because a process
# may have a thousand of them and they are only turned into JSON bytes.
ErrorRow = tuple[int, int, str, str]


@dataclass(frozen=True)
class Anchor:
    """Where the previous page ended: its last process (and when that one was created).

    The anchor names the process by its subunique, not by the request id: the id is a
    sequence shared by every company, and handing it out would tell a tenant how busy the
    others are.
    """

    subunique: str
    created_at: datetime


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    route: str | None = None
    since: datetime | None = None  # created at or after


# The columns _process_query selects, in the order of ProcessRow's fields.
_ProcessColumns = tuple[int, str, str, str, str, int, int, int, datetime, datetime | None, bool]


def _process_query() -> Select[*_ProcessColumns]:
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
        requests.c.cancel_requested,
    ).join(windows, windows.c.id == requests.c.window_id)


def _to_row(row: Row[*_ProcessColumns]) -> ProcessRow:
    return ProcessRow(*row)


# The monitor's reads, built once: SQLAlchemy memoizes a statement's cache key on the object, so
# executing the same object again skips building the statement and its key (about half of
# an uncached `GET /process?subunique=`'s time in SQLAlchemy; issue 10).
_BY_SUBUNIQUE = _process_query().where(
    requests.c.company_id == bindparam("company_id"),
    requests.c.subunique == bindparam("subunique"),
)


def by_subunique(conn: Connection, company_id: int, subunique: str) -> ProcessRow | None:
    if not ID.fullmatch(subunique):
        return None
    row = conn.execute(_BY_SUBUNIQUE, {"company_id": company_id, "subunique": subunique}).first()
    return None if row is None else _to_row(row)


def by_unique(conn: Connection, company_id: int, unique: str) -> list[ProcessRow]:
    """The processes of one window, in acceptance order."""
    if not ID.fullmatch(unique):
        return []
    rows = conn.execute(
        _process_query()
        .where(windows.c.company_id == company_id, windows.c.unique_code == unique)
        .order_by(requests.c.id)
    )
    return [_to_row(row) for row in rows]


def list_page(
    conn: Connection,
    company_id: int,
    filters: ListFilter,
    *,
    after: Anchor | None,
    gone_by: datetime,
    limit: int,
) -> list[ProcessRow]:
    """Up to `limit` processes of the company, newest first, older than `after`.

    One query per page, keyset-paginated on the request id (acceptance order); the error count
    is the `failed` counter of the request row, so no row costs a query of its own. Processes
    finished at or before `gone_by` (visibility.Cutoffs) are past retention: `GET /process`
    already answers 404 for them, so they are left out here too, purged or not.
    """
    query = (
        _process_query()
        .where(
            requests.c.company_id == company_id,
            or_(requests.c.finished_at.is_(None), requests.c.finished_at > gone_by),
        )
        .order_by(requests.c.id.desc())
        .limit(limit)
    )
    if filters.status is not None:
        query = query.where(requests.c.status == filters.status)
    if filters.route is not None:
        query = query.where(requests.c.route == filters.route)
    if filters.since is not None:
        query = query.where(requests.c.created_at >= filters.since)
    if after is not None:
        query = query.where(requests.c.id < _anchor_id(company_id, after))
    return [_to_row(row) for row in conn.execute(query)]


def _anchor_id(company_id: int, after: Anchor) -> ColumnElement[int]:
    """The id the next page starts below, as a scalar subquery of the page's one query.

    Normally the anchor's own id (an index lookup). Should the anchor have been purged
    between two pages, the page continues below the newest process created before it, so
    paging neither stops early nor starts over; a cursor of another company finds no anchor
    and only ever selects this company's rows.
    """
    anchor = aliased(requests)
    older = aliased(requests)
    anchor_id = (
        select(anchor.c.id)
        .where(anchor.c.company_id == company_id, anchor.c.subunique == after.subunique)
        .scalar_subquery()
    )
    below_older = (
        select(func.max(older.c.id) + 1)
        .where(older.c.company_id == company_id, older.c.created_at < after.created_at)
        .scalar_subquery()
    )
    return func.coalesce(anchor_id, below_older, 0)


def _error_query() -> Select[*ErrorRow]:
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


_REQUEST_ERRORS = _error_query().where(record_errors.c.request_id == bindparam("request_id"))


def request_errors(conn: Connection, request_id: int) -> Sequence[ErrorRow]:
    """Error rows of one request, in input order (built once, like _BY_SUBUNIQUE)."""
    return conn.execute(_REQUEST_ERRORS, {"request_id": request_id}).all()


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
