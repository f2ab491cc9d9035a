"""A company's processes, page by page (SPEC 1.7), and one process with its errors (SPEC 5).

This is what `GET /processes` and the dashboard read. Query parameters are checked here, once,
so the JSON route and the HTML page refuse the same values with the same messages.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from itg.errors import NotFoundError, UsageError
from itg.outcomes import FINAL_STATUSES, STATUSES
from itg.permissions import write_routes
from itg.processes import queries
from itg.processes.queries import Anchor, ListFilter, ProcessRow
from itg.processes.shapes import progress
from itg.processes.visibility import (
    PROCESS_NOT_FOUND,
    Cutoffs,
    Visibility,
    check_visible,
    cutoffs,
)
from itg.settings import Settings
from itg.storage.database import Database
from itg.timeutil import iso, parse_iso, utcnow

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIMIT_MESSAGE = f"limit must be between 1 and {MAX_LIMIT}"
STATUS_MESSAGE = f"status must be one of {', '.join(STATUSES)}"
SINCE_MESSAGE = "since must be an ISO 8601 time, e.g. 2026-11-28T16:00:00Z"
CURSOR_MESSAGE = "Invalid cursor"


def route_message(routes: tuple[str, ...] | None = None) -> str:
    """The 400 of an unknown `route` filter, naming the routes registered now."""
    return f"route must be one of {', '.join(routes or write_routes())}"


_LIMIT_TEXT = re.compile(r"[0-9]{1,4}")
_SUBUNIQUE = re.compile(r"[0-9a-f]{8}")
_MAX_CURSOR_CHARS = 128


@dataclass(frozen=True)
class ListQuery:
    filters: ListFilter
    limit: int = DEFAULT_LIMIT
    after: Anchor | None = None


@dataclass(frozen=True)
class ProcessSummary(ProcessRow):
    """A listed process: its stored row, plus whether it is past validity."""

    expired: bool  # past validity: /process answers 410, but it is still listed

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class ProcessPage:
    processes: list[ProcessSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class ErrorEntry:
    index: int
    identifier: str
    messages: list[str]


@dataclass(frozen=True)
class ProcessDetail:
    process: ProcessSummary
    errors: list[ErrorEntry]


def parse_query(params: Mapping[str, str]) -> ListQuery:
    """`status`, `route`, `since`, `limit` and `cursor` as sent; a blank one is not given.

    Raises UsageError with the message the client sees (HTTP 400).
    """
    status = _given(params, "status")
    if status is not None and status not in STATUSES:
        raise UsageError(STATUS_MESSAGE)
    route = _given(params, "route")
    routes = write_routes()  # read now: the registry may have grown since import
    if route is not None and route not in routes:
        raise UsageError(route_message(routes))
    since_text = _given(params, "since")
    since = None if since_text is None else _parse_since(since_text)
    limit_text = _given(params, "limit")
    limit = DEFAULT_LIMIT if limit_text is None else _parse_limit(limit_text)
    cursor = _given(params, "cursor")
    after = None if cursor is None else decode_cursor(cursor)
    return ListQuery(ListFilter(status, route, since), limit, after)


def list_processes(
    db: Database, settings: Settings, company_id: int, query: ListQuery
) -> ProcessPage:
    """One page, newest first; `next_cursor` is None on the last page (never an empty one).

    Expired processes are listed, those past retention are not (SPEC 1.5, 1.7).
    """
    cut = cutoffs(settings, utcnow())
    with db.read() as conn:
        rows = queries.list_page(
            conn,
            company_id,
            query.filters,
            after=query.after,
            gone_by=cut.gone_by,
            limit=query.limit + 1,
        )
    page = [_summary(row, cut) for row in rows[: query.limit]]
    next_cursor = encode_cursor(page[-1]) if len(rows) > query.limit else None
    return ProcessPage(page, next_cursor)


def page_json(page: ProcessPage) -> dict[str, Any]:
    """The body of `GET /processes` (SPEC 1.7)."""
    return {
        "processes": [_summary_json(process) for process in page.processes],
        "next_cursor": page.next_cursor,
    }


def _summary_json(process: ProcessSummary) -> dict[str, Any]:
    return {
        "subunique": process.subunique,
        "unique": process.unique,
        "route": process.route,
        "status": process.status,
        "progress": progress(process.done, process.total),
        "errors": process.failed,
        "created_at": iso(process.created_at),
        "finished_at": iso(process.finished_at),
    }


def process_detail(
    db: Database, settings: Settings, company_id: int, subunique: str
) -> ProcessDetail:
    """One process and all its error entries, readable exactly when `GET /process` is."""
    now = utcnow()
    with db.read() as conn:
        row = queries.by_subunique(conn, company_id, subunique)
        if row is None:
            raise NotFoundError(PROCESS_NOT_FOUND)
        check_visible(row.finished_at, settings, now)
        errors = queries.request_errors(conn, row.id)
    return ProcessDetail(
        _summary(row, cutoffs(settings, now)),
        [
            ErrorEntry(index, identifier, orjson.loads(messages_json))
            for _request_id, index, identifier, messages_json in errors
        ],
    )


def encode_cursor(process: ProcessSummary) -> str:
    text = f"{process.subunique}:{process.created_at.isoformat()}"
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> Anchor:
    """The anchor a `next_cursor` names; anything else is `Invalid cursor`."""
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise UsageError(CURSOR_MESSAGE)
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        subunique, _, created = raw.decode("ascii").partition(":")
        created_at = datetime.fromisoformat(created)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise UsageError(CURSOR_MESSAGE) from None
    if not _SUBUNIQUE.fullmatch(subunique) or created_at.tzinfo is not None:
        raise UsageError(CURSOR_MESSAGE)
    return Anchor(subunique, created_at)


def _given(params: Mapping[str, str], name: str) -> str | None:
    value = (params.get(name) or "").strip()
    return value or None


def _parse_limit(text: str) -> int:
    if not _LIMIT_TEXT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise UsageError(LIMIT_MESSAGE)
    return int(text)


def _parse_since(text: str) -> datetime:
    try:
        since = parse_iso(text)
    except OverflowError:  # an offset pushing year 1 out of range
        since = None
    if since is None:
        raise UsageError(SINCE_MESSAGE)
    return since


def _summary(row: ProcessRow, cut: Cutoffs) -> ProcessSummary:
    expired = cut.of(row.finished_at) is not Visibility.VISIBLE
    return ProcessSummary(**vars(row), expired=expired)
