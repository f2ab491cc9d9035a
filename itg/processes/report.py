"""`GET /process?subunique=` (SPEC 1.6): one process's body, and the cache of finished ones."""

from __future__ import annotations

import threading
from collections import OrderedDict

import orjson

from itg.errors import NotFoundError
from itg.processes import queries
from itg.processes.shapes import errors_json, progress
from itg.processes.visibility import PROCESS_NOT_FOUND, Deadlines, check_visible, deadlines
from itg.settings import Settings
from itg.storage.database import Database
from itg.timeutil import iso, utcnow


class FinishedReports:
    """Response bodies of finished processes, bounded by size, least recently used out.

    A finished process never changes again, so its body can be served without touching the
    database; only its visibility (410/404) is checked on every read, against the deadlines
    worked out when it was kept. A `unique` is never cached: a later request may still join
    its window.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[int, str], tuple[Deadlines, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # filled from worker threads, read on the event loop

    def body(self, company_id: int, subunique: str) -> bytes | None:
        """The cached body, None when absent; raises when the process is past validity."""
        with self._lock:
            entry = self._entries.get((company_id, subunique))
            if entry is not None:
                self._entries.move_to_end((company_id, subunique))
        if entry is None:
            return None
        entry[0].check(utcnow())
        return entry[1]

    def keep(self, company_id: int, subunique: str, deadlines: Deadlines, body: bytes) -> None:
        if len(body) > self._max_bytes // 4:
            return  # one huge report must not evict everything else
        with self._lock:
            previous = self._entries.pop((company_id, subunique), None)
            if previous is not None:
                self._bytes -= len(previous[1])
            self._entries[(company_id, subunique)] = (deadlines, body)
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
        process = queries.by_subunique(conn, company_id, subunique)
        if process is None:
            raise NotFoundError(PROCESS_NOT_FOUND)
        check_visible(process.finished_at, settings, utcnow())
        errors = queries.request_errors(conn, process.id)
    body = orjson.dumps(
        {
            "data": {"errors": errors_json(errors)},
            "company": company_code,
            "unique": process.unique,
            "subunique": process.subunique,
            "status": process.status,
            "progress": progress(process.done, process.total),
            "route": process.route,
            "created_at": iso(process.created_at),
            "finished_at": iso(process.finished_at),
            # Only once a cancel was asked (SPEC 1.9): every other body stays as it was.
            **({"cancel_requested": True} if process.cancel_requested else {}),
        }
    )
    if finished is not None and process.finished_at is not None:
        finished.keep(company_id, subunique, deadlines(process.finished_at, settings), body)
    return body
