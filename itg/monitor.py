"""The Integration Process Monitor (SPEC 1.5–1.6): one process, or a whole `unique` window.

Builds plain dicts ready for JSON. The error list is assembled directly as JSON bytes from the
stored rows (whose message arrays are already JSON): a process may carry a thousand errors,
and building a dict per error would dominate the cost of a read. A window may carry any
number of them, so its body is streamed from storage in batches (`UniqueReport`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from itg.errors import NotFoundError, ProcessExpiredError
from itg.outcomes import final_status
from itg.settings import Settings
from itg.storage import monitor as store
from itg.storage.database import Database
from itg.storage.monitor import ProcessRow
from itg.storage.schema import FINAL_STATUSES, PROCESSING, QUEUED
from itg.timeutil import iso, utcnow

PROCESS_NOT_FOUND = "Process not found"
PROCESS_EXPIRED = "Process expired"


def check_visible(finished_at: datetime | None, settings: Settings, now: datetime) -> None:
    """Raise if a process finished at `finished_at` is past validity (410) or retention (404).

    Retention counts from expiry, so `ITG_RETENTION_DAYS=0` purges at expiry. A row that the
    purge has not reached yet already answers 404, so the answer does not depend on timing.
    """
    if finished_at is None:
        return
    expires_at = finished_at + timedelta(seconds=settings.validity_seconds)
    if now < expires_at:
        return
    if now >= expires_at + timedelta(seconds=settings.retention_seconds):
        raise NotFoundError(PROCESS_NOT_FOUND)
    raise ProcessExpiredError(PROCESS_EXPIRED)


class FinishedReports:
    """Response bodies of finished processes, bounded by size, least recently used out.

    A finished process never changes again, so its body can be served without touching the
    database; only its visibility (410/404) is recomputed on every read. A `unique` is never
    cached: a later request may still join its window.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[int, str], tuple[datetime, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # filled from worker threads, read on the event loop

    def body(self, company_id: int, subunique: str, settings: Settings) -> bytes | None:
        """The cached body, None when absent; raises when the process is past validity."""
        with self._lock:
            entry = self._entries.get((company_id, subunique))
            if entry is not None:
                self._entries.move_to_end((company_id, subunique))
        if entry is None:
            return None
        check_visible(entry[0], settings, utcnow())
        return entry[1]

    def keep(self, company_id: int, subunique: str, finished_at: datetime, body: bytes) -> None:
        if len(body) > self._max_bytes // 4:
            return  # one huge report must not evict everything else
        with self._lock:
            previous = self._entries.pop((company_id, subunique), None)
            if previous is not None:
                self._bytes -= len(previous[1])
            self._entries[(company_id, subunique)] = (finished_at, body)
            self._bytes += len(body)
            while self._bytes > self._max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)


def report_subunique(
    db: Database,
    settings: Settings,
    company_id: int,
    company_code: str,
    subunique: str,
    finished: FinishedReports | None = None,
) -> bytes:
    """The JSON body of `GET /process?subunique=`; a finished one is kept in `finished`."""
    with db.read() as conn:
        process = store.by_subunique(conn, company_id, subunique)
        if process is None:
            raise NotFoundError(PROCESS_NOT_FOUND)
        check_visible(process.finished_at, settings, utcnow())
        errors = store.errors_of(conn, [process.id])
    body = orjson.dumps(
        {
            "data": {"errors": _errors_json(errors)},
            "company": company_code,
            "unique": process.unique,
            "subunique": process.subunique,
            "status": process.status,
            "progress": _progress(process.done, process.total),
            "route": process.route,
            "created_at": iso(process.created_at),
            "finished_at": iso(process.finished_at),
        }
    )
    if finished is not None and process.finished_at is not None:
        finished.keep(company_id, subunique, process.finished_at, body)
    return body


# Error rows per storage read while streaming a window: about 70 kB of JSON. Measured with 12
# concurrent reads of 100,000 errors, a read costs about 1 MB on PostgreSQL (3 MB on SQLite,
# page cache of its connection included) and takes as long as the in-memory body did; 1000
# rows doubled the memory for no speed, 250 cost time (SPEC 1.6).
ERROR_BATCH_ROWS = 500


@dataclass(frozen=True)
class _Failing:
    """A request of the window that had failed records when the window was read."""

    id: int
    done: int  # its errors are exactly those with idx < done (committed together, SPEC 3.3)
    failed: int
    tail: bytes  # `,"subunique":"…"`, closing each of its error entries


class UniqueReport:
    """The body of `GET /process?unique=` (SPEC 1.6), streamed from storage.

    `open_unique` reads the window once (its processes: one small row per request), decides
    404/410 and renders everything after `data.errors`; `chunks()` then reads the error rows in
    keyset-paginated batches, each in its own short read transaction (no connection is held
    while a slow client is written to). The body is self-consistent: only the errors of the
    requests read at first, below their `done` of then, are listed, so a request that
    progresses meanwhile adds nothing that its `progress` does not count. The bytes are those of
    `orjson.dumps` of the whole body (compact, keys in SPEC order).
    """

    def __init__(self, db: Database, failing: list[_Failing], rest: bytes, batch_rows: int) -> None:
        self._db = db
        self._failing = failing
        self._rest = rest  # the body after `data`, from `"company"` to the closing brace
        self._batch_rows = batch_rows

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces of about one batch each."""
        opening = b'{"data":{"errors":['
        separator = opening
        for entries in self._error_entries():
            yield separator + entries
            separator = b","
        yield (opening if separator is opening else b"") + b"]}," + self._rest

    def _error_entries(self) -> Iterator[bytes]:
        """The error entries, one batch at a time, joined by commas (never an empty batch)."""
        # Keyset: the next request to read, the last index read of it, and how many of its
        # errors were listed so far (all `failed` of them listed: the request is complete).
        position, after, listed = 0, -1, 0
        while position < len(self._failing):
            group = self._group(position, listed)
            with self._db.read() as conn:
                rows = store.error_batch(conn, [f.id for f in group], after, self._batch_rows)
            by_id = {f.id: f for f in group}
            # Rows at or past a request's `done` were written after the window was read.
            kept = [row for row in rows if row[1] < by_id[row[0]].done]
            if kept:
                yield b",".join(
                    _error_entry(index, identifier, messages_json, by_id[request_id].tail)
                    for request_id, index, identifier, messages_json in kept
                )
            if len(rows) < self._batch_rows:  # the group is exhausted
                position, after, listed = position + len(group), -1, 0
                continue
            last = by_id[rows[-1][0]]
            listed = (listed if last is group[0] else 0) + sum(row[0] == last.id for row in kept)
            position += group.index(last)
            after = rows[-1][1]
            if listed >= last.failed:
                position, after, listed = position + 1, -1, 0

    def _group(self, position: int, listed: int) -> list[_Failing]:
        """The requests from `position` (`listed` of its errors already are) whose remaining
        errors fill about one batch (at least one request)."""
        group: list[_Failing] = []
        expected = -listed
        for failing in self._failing[position:]:
            if group and expected >= self._batch_rows:
                break
            group.append(failing)
            expected += failing.failed
        return group


def open_unique(
    db: Database,
    settings: Settings,
    company_id: int,
    company_code: str,
    unique: str,
) -> UniqueReport:
    """`GET /process?unique=`, ready to stream; raises 404/410 before anything is sent.

    Never cached: a later request may still join the window.
    """
    with db.read() as conn:
        processes = store.by_unique(conn, company_id, unique)
    if not processes:
        raise NotFoundError(PROCESS_NOT_FOUND)
    finished_at = _window_finished_at(processes)
    check_visible(finished_at, settings, utcnow())
    routes = {process.route for process in processes}
    rest = orjson.dumps(
        {
            "company": company_code,
            "unique": unique,
            "subunique": None,
            "status": _window_status(processes),
            "progress": _progress(sum(p.done for p in processes), sum(p.total for p in processes)),
            "route": routes.pop() if len(routes) == 1 else None,
            "created_at": iso(processes[0].created_at),
            "finished_at": iso(finished_at),
            "processes": [
                {
                    "subunique": p.subunique,
                    "route": p.route,
                    "status": p.status,
                    "progress": _progress(p.done, p.total),
                }
                for p in processes
            ],
        }
    )[1:]
    failing = [
        _Failing(p.id, p.done, p.failed, b',"subunique":"%s"' % p.subunique.encode())
        for p in processes
        if p.failed
    ]
    return UniqueReport(db, failing, rest, ERROR_BATCH_ROWS)


def _window_finished_at(processes: Sequence[ProcessRow]) -> datetime | None:
    if any(p.finished_at is None for p in processes):
        return None
    return max(p.finished_at for p in processes if p.finished_at is not None)


def _window_status(processes: Sequence[ProcessRow]) -> str:
    if all(p.status == QUEUED for p in processes):
        return QUEUED
    if any(p.status not in FINAL_STATUSES for p in processes):
        return PROCESSING
    return final_status(sum(p.total for p in processes), sum(p.failed for p in processes))


def _progress(done: int, total: int) -> dict[str, str]:
    return {"done": str(done), "total": str(total)}


def _errors_json(errors: Sequence[store.ErrorRow]) -> orjson.Fragment:
    """The `data.errors` array of one process as JSON."""
    entries = [
        _error_entry(index, identifier, messages_json)
        for _, index, identifier, messages_json in errors
    ]
    return orjson.Fragment(b"[" + b",".join(entries) + b"]")


def _error_entry(index: int, identifier: str, messages_json: str, tail: bytes = b"") -> bytes:
    """One error entry; `tail` adds keys (the `subunique` of a window's entry)."""
    return b'{"identifier":%b,"index":%d,"message":%b%b}' % (
        orjson.dumps(identifier),
        index,
        messages_json.encode(),
        tail,
    )
