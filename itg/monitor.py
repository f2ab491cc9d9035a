"""The Integration Process Monitor (SPEC 1.5–1.6): one process, or a whole `unique` window.

Builds plain dicts ready for JSON; stored message arrays are embedded as pre-encoded JSON
fragments so a large error list is not decoded and re-encoded on every read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

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


def report_subunique(
    db: Database, settings: Settings, company_id: int, company_code: str, subunique: str
) -> dict[str, Any]:
    with db.read() as conn:
        process = store.by_subunique(conn, company_id, subunique)
        if process is None:
            raise NotFoundError(PROCESS_NOT_FOUND)
        check_visible(process.finished_at, settings, utcnow())
        errors = store.errors_of(conn, [process.id])
    return {
        "data": {"errors": [_error_entry(error) for error in errors]},
        "company": company_code,
        "unique": process.unique,
        "subunique": process.subunique,
        "status": process.status,
        "progress": _progress(process.done, process.total),
        "route": process.route,
        "created_at": iso(process.created_at),
        "finished_at": iso(process.finished_at),
    }


def report_unique(
    db: Database, settings: Settings, company_id: int, company_code: str, unique: str
) -> dict[str, Any]:
    with db.read() as conn:
        processes = store.by_unique(conn, company_id, unique)
        if not processes:
            raise NotFoundError(PROCESS_NOT_FOUND)
        finished_at = _window_finished_at(processes)
        check_visible(finished_at, settings, utcnow())
        errors = store.errors_of(conn, [process.id for process in processes])
    subuniques = {process.id: process.subunique for process in processes}
    routes = {process.route for process in processes}
    return {
        "data": {
            "errors": [
                {**_error_entry(error), "subunique": subuniques[error.request_id]}
                for error in errors
            ]
        },
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


def _error_entry(error: store.ErrorRow) -> dict[str, Any]:
    return {
        "identifier": error.identifier,
        "index": error.index,
        "message": orjson.Fragment(error.messages_json),
    }
