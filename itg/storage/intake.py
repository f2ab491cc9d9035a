"""Storing accepted write requests: the request row is the job (one transaction, one commit).

Concurrent accepts on SQLite are committed together (`GroupCommit`): SQLite has one writer at
a time, so they would queue for the write lock anyway, and each commit is an fsync. Storing
every request that waited during the previous commit in one transaction costs one fsync and
one BEGIN/COMMIT for all of them, instead of one each (issue 10, accept). Each request is
still answered only once its own transaction has committed (SPEC 1.4).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from itg.security import random_id
from itg.storage.database import Database, inserted_id
from itg.storage.schema import QUEUED, companies, request_payloads, requests, windows
from itg.timeutil import utcnow

# Random 8-hex ids collide within a company about once in 4 billion draws; a few redraws
# make a failure practically impossible while still surfacing a real integrity bug.
_ID_DRAWS = 5


@dataclass(frozen=True)
class NewRequest:
    """A write request that passed the checks of SPEC 1.4, to be stored."""

    company_id: int
    company_code: str
    route: str
    payload: bytes
    total: int
    validity_seconds: int  # the window of SPEC 1.5 it joins or opens


@dataclass(frozen=True)
class StoredRequest:
    """What storing a write request decided: the ids of its 200 answer (SPEC 1.4)."""

    company: str
    unique: str
    subunique: str


# Built once (SQLAlchemy memoizes a statement's cache key on the object): inside the write lock
# each costs its execution only, not its construction (issue 10).
_LOCK_COMPANY = (
    select(companies.c.id).where(companies.c.id == bindparam("company_id")).with_for_update()
)
_LATEST_WINDOW = (
    select(windows.c.id, windows.c.unique_code, windows.c.last_request_at)
    .where(windows.c.company_id == bindparam("company_id"))
    .order_by(windows.c.id.desc())
    .limit(1)
)
_OPEN_WINDOW = insert(windows)
_SLIDE_WINDOW = (
    update(windows)
    .where(windows.c.id == bindparam("window_id"))
    .values(last_request_at=bindparam("now"))
)
_INSERT_REQUEST = insert(requests)
_INSERT_PAYLOAD = insert(request_payloads)


def accept_request(
    db: Database,
    *,
    company_id: int,
    company_code: str,
    route: str,
    payload: bytes,
    total: int,
    validity_seconds: int,
    group: GroupCommit | None = None,
) -> StoredRequest:
    """Store the request and decide its `unique` in one transaction (SPEC 1.5), committed with
    the other requests waiting in `group` if one is given."""
    request = NewRequest(company_id, company_code, route, payload, total, validity_seconds)
    if group is not None:
        return group.store(request)
    return store_requests(db, [request])[0]


def store_requests(db: Database, batch: Sequence[NewRequest]) -> list[StoredRequest]:
    """Store `batch` in acceptance order in one transaction, each deciding its `unique`.

    The company's latest window is read under the write lock (BEGIN IMMEDIATE on SQLite, a
    row lock on the company on PostgreSQL), so two concurrent requests never open two windows.
    The rows are built before that lock, so that it is held for the statements and the
    COMMIT alone: on SQLite it serialises every writer.
    """
    rows = [_request_row(request) for request in batch]
    for draw in range(_ID_DRAWS):
        try:
            with db.write() as conn:
                if db.is_postgres:
                    # In one order, so that two batches never wait for each other's locks.
                    for company_id in sorted({request.company_id for request in batch}):
                        conn.execute(_LOCK_COMPANY, {"company_id": company_id})
                # Read under the lock: a request that waited for it must not slide a window
                # back to before the one committed meanwhile.
                now = utcnow()
                stored = [
                    _store(conn, request, row, now)
                    for request, row in zip(batch, rows, strict=True)
                ]
            return stored
        except IntegrityError:
            if draw == _ID_DRAWS - 1:
                raise
    raise AssertionError("unreachable")


def _request_row(request: NewRequest) -> dict[str, Any]:
    return {
        "company_id": request.company_id,
        "route": request.route,
        "total": request.total,
        "done": 0,
        "failed": 0,
        "status": QUEUED,
        "attempt": 0,
        "faults": 0,
    }


def _store(
    conn: Connection, request: NewRequest, row: dict[str, Any], now: datetime
) -> StoredRequest:
    window = conn.execute(_LATEST_WINDOW, {"company_id": request.company_id}).first()
    if window is None or now - window.last_request_at >= timedelta(
        seconds=request.validity_seconds
    ):
        unique = random_id()
        window_id = inserted_id(
            conn.execute(
                _OPEN_WINDOW,
                {
                    "company_id": request.company_id,
                    "unique_code": unique,
                    "opened_at": now,
                    "last_request_at": now,
                },
            )
        )
    else:
        unique, window_id = window.unique_code, window.id
        conn.execute(_SLIDE_WINDOW, {"window_id": window_id, "now": now})
    subunique = random_id()
    request_id = inserted_id(
        conn.execute(
            _INSERT_REQUEST,
            {**row, "window_id": window_id, "subunique": subunique, "created_at": now},
        )
    )
    conn.execute(_INSERT_PAYLOAD, {"request_id": request_id, "payload": request.payload})
    return StoredRequest(request.company_code, unique, subunique)


class _Ticket:
    """One request waiting in a GroupCommit, and what became of it."""

    def __init__(self, request: NewRequest) -> None:
        self.request = request
        self.stored: StoredRequest | None = None
        self.error: BaseException | None = None

    @property
    def settled(self) -> bool:
        return self.stored is not None or self.error is not None


class GroupCommit:
    """Requests of concurrent threads stored together, one transaction per turn.

    A thread adds its request to the pending ones and waits for its turn; at its turn it
    stores every pending request (its own, and those that arrived while the previous turn
    committed) and settles them all, unless a previous turn already took its request. So a
    lone request is stored at once, alone, and under load each turn carries the requests
    that queued meanwhile. A failed turn fails every request it carried (none is stored,
    each caller gets the error), as one request's own transaction would.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[_Ticket] = []
        self._pending_lock = threading.Lock()
        self._turn = threading.Lock()

    @property
    def waiting(self) -> int:
        """Requests added and not yet taken by a turn."""
        with self._pending_lock:
            return len(self._pending)

    def store(self, request: NewRequest) -> StoredRequest:
        ticket = _Ticket(request)
        with self._pending_lock:
            self._pending.append(ticket)
        with self._turn:
            if not ticket.settled:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._store(batch)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.stored is not None  # settled
        return ticket.stored

    def _store(self, batch: list[_Ticket]) -> None:
        try:
            stored = store_requests(self._db, [ticket.request for ticket in batch])
        except BaseException as exc:
            for ticket in batch:
                ticket.error = exc
            return
        for ticket, result in zip(batch, stored, strict=True):
            ticket.stored = result
