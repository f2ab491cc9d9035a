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
from datetime import datetime, timedelta

import orjson

from itg.errors import NotFoundError, UsageError
from itg.monitor import PROCESS_NOT_FOUND, check_visible
from itg.permissions import WRITE_ROUTES
from itg.settings import Settings
from itg.storage import listing as store
from itg.storage import monitor as monitor_store
from itg.storage.database import Database
from itg.storage.monitor import ProcessRow
from itg.storage.schema import FINAL_STATUSES, STATUSES
from itg.timeutil import parse_iso, utcnow

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIMIT_MESSAGE = f"limit must be between 1 and {MAX_LIMIT}"
STATUS_MESSAGE = f"status must be one of {', '.join(STATUSES)}"
ROUTE_MESSAGE = f"route must be one of {', '.join(WRITE_ROUTES)}"
SINCE_MESSAGE = "since must be an ISO 8601 time, e.g. 2026-11-28T16:00:00Z"
CURSOR_MESSAGE = "Invalid cursor"

_LIMIT_TEXT = re.compile(r"[0-9]{1,4}")
_SUBUNIQUE = re.compile(r"[0-9a-f]{8}")
_MAX_CURSOR_CHARS = 128


@dataclass(frozen=True)
class ListQuery:
    filters: store.ListFilter
    limit: int = DEFAULT_LIMIT
    after: store.Anchor | None = None


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
    if route is not None and route not in WRITE_ROUTES:
        raise UsageError(ROUTE_MESSAGE)
    since_text = _given(params, "since")
    since = None if since_text is None else _parse_since(since_text)
    limit_text = _given(params, "limit")
    limit = DEFAULT_LIMIT if limit_text is None else _parse_limit(limit_text)
    cursor = _given(params, "cursor")
    after = None if cursor is None else decode_cursor(cursor)
    return ListQuery(store.ListFilter(status, route, since), limit, after)


def list_processes(
    db: Database, settings: Settings, company_id: int, query: ListQuery
) -> ProcessPage:
    """One page, newest first; `next_cursor` is None on the last page (never an empty one)."""
    now = utcnow()
    with db.read() as conn:
        rows = store.list_page(
            conn,
            company_id,
            query.filters,
            after=query.after,
            visible_after=_retention_start(settings, now),
            limit=query.limit + 1,
        )
    page = [_summary(row, settings, now) for row in rows[: query.limit]]
    next_cursor = encode_cursor(page[-1]) if len(rows) > query.limit else None
    return ProcessPage(page, next_cursor)


def process_detail(
    db: Database, settings: Settings, company_id: int, subunique: str
) -> ProcessDetail:
    """One process and all its error entries, readable exactly when `GET /process` is."""
    now = utcnow()
    with db.read() as conn:
        row = monitor_store.by_subunique(conn, company_id, subunique)
        if row is None:
            raise NotFoundError(PROCESS_NOT_FOUND)
        check_visible(row.finished_at, settings, now)
        errors = monitor_store.errors_of(conn, [row.id])
    return ProcessDetail(
        _summary(row, settings, now),
        [
            ErrorEntry(index, identifier, orjson.loads(messages_json))
            for _request_id, index, identifier, messages_json in errors
        ],
    )


def encode_cursor(process: ProcessSummary) -> str:
    text = f"{process.subunique}:{process.created_at.isoformat()}"
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> store.Anchor:
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
    return store.Anchor(subunique, created_at)


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


def _retention_start(settings: Settings, now: datetime) -> datetime:
    """Processes finished at or before this are past retention: they count as purged."""
    try:
        return now - timedelta(seconds=settings.validity_seconds + settings.retention_seconds)
    except OverflowError:  # a retention of millennia: nothing is past it
        return datetime.min


def _summary(row: ProcessRow, settings: Settings, now: datetime) -> ProcessSummary:
    expired = row.finished_at is not None and now >= row.finished_at + timedelta(
        seconds=settings.validity_seconds
    )
    return ProcessSummary(**vars(row), expired=expired)
