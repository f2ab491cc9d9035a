"""The Integration Process Monitor (SPEC 1.5–1.6): one process, or a whole `unique` window.

Builds plain dicts ready for JSON. The error list is assembled directly as JSON bytes from the
stored rows (whose message arrays are already JSON): a process may carry a thousand errors,
and building a dict per error would dominate the cost of a read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson

from itg.errors import NotFoundError, ProcessExpiredError
from itg.settings import Settings
from itg.storage import monitor as store
from itg.storage.database import Database
from itg.storage.monitor import ProcessRow
from itg.storage.queue import final_status
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


def report_unique(
    db: Database, settings: Settings, company_id: int, company_code: str, unique: str
) -> bytes:
    """The JSON body of `GET /process?unique=` (never cached: the window may still grow)."""
    with db.read() as conn:
        processes = store.by_unique(conn, company_id, unique)
        if not processes:
            raise NotFoundError(PROCESS_NOT_FOUND)
        finished_at = _window_finished_at(processes)
        check_visible(finished_at, settings, utcnow())
        errors = store.errors_of(conn, [process.id for process in processes])
    subuniques = {process.id: process.subunique for process in processes}
    routes = {process.route for process in processes}
    return orjson.dumps(
        {
            "data": {"errors": _errors_json(errors, subuniques)},
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
    )


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


def _errors_json(
    errors: Sequence[store.ErrorRow], subuniques: dict[int, str] | None = None
) -> orjson.Fragment:
    """The `data.errors` array as JSON; with `subuniques`, each entry also names its request."""
    entries = []
    for request_id, index, identifier, messages_json in errors:
        tail = b',"subunique":"%s"' % subuniques[request_id].encode() if subuniques else b""
        entries.append(
            b'{"identifier":%b,"index":%d,"message":%b%b}'
            % (orjson.dumps(identifier), index, messages_json.encode(), tail)
        )
    return orjson.Fragment(b"[" + b",".join(entries) + b"]")
