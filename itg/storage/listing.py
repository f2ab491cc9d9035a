"""The read behind `GET /processes` and the dashboard: one page of a company's processes.

One query per page, keyset-paginated on the request id (acceptance order), newest first; the
error count is the `failed` counter of the request row, so no row costs a query of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import aliased

from itg.storage.monitor import ProcessRow, process_query
from itg.storage.schema import requests


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


def list_page(
    conn: Connection,
    company_id: int,
    filters: ListFilter,
    *,
    after: Anchor | None,
    visible_after: datetime,
    limit: int,
) -> list[ProcessRow]:
    """Up to `limit` processes of the company, newest first, older than `after`.

    Processes finished at or before `visible_after` are past retention: `GET /process`
    already answers 404 for them, so they are left out here too, purged or not.
    """
    query = (
        process_query()
        .where(
            requests.c.company_id == company_id,
            or_(requests.c.finished_at.is_(None), requests.c.finished_at > visible_after),
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
    return [ProcessRow(*row) for row in conn.execute(query)]


def _anchor_id(company_id: int, after: Anchor):  # type: ignore[no-untyped-def]
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
