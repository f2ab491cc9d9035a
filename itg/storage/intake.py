"""Storing accepted write requests: the request row is the job (one transaction, one commit).

Concurrent accepts on SQLite are committed together (`GroupCommit`): SQLite has one writer at
a time, so they would queue for the write lock anyway, and each commit is an fsync. Storing
every request that waited during the previous commit in one transaction costs one fsync and
one BEGIN/COMMIT for all of them, instead of one each (issue 10, accept). Each request is
still answered only once its own transaction has committed (SPEC 1.4).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from itg.errors import ItgError
from itg.security import random_id
from itg.storage.backlog import add_pending, pending
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
    idempotency_key: str | None = None  # SPEC 1.8, with the fingerprint it was sent with
    fingerprint: str | None = None
    max_pending: int = 0  # SPEC 1.10 backlog quota of the company (0: none)
    http_request_id: str | None = None  # its X-Request-Id, for the worker's log lines (1.7)


@dataclass(frozen=True)
class StoredRequest:
    """What storing a write request decided: the ids of its 200 answer (SPEC 1.4)."""

    company: str
    unique: str
    subunique: str
    replayed: bool = False  # an earlier request with the same key and fingerprint (SPEC 1.8)


class Refused(ItgError):
    """A request refused inside the storing transaction, for itself alone (SPEC 1.8, 1.10):
    nothing of it is stored. Returned per request, never raised out of a shared transaction."""

    def __init__(self, status_code: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after


KEY_REUSED = "Idempotency-Key already used for a different request"
BACKLOG_FULL = "Too many records waiting to be processed"
# Retry-After of a backlog refusal when the company finished nothing in the last minute, and
# the most ever advised (an estimate, not a promise).
_IDLE_RETRY_SECONDS = 60
_MAX_RETRY_SECONDS = 3600
_RATE_WINDOW_SECONDS = 60


# Built once (SQLAlchemy memoizes a statement's cache key on the object): inside the write lock
# each costs its execution only, not its construction (issue 10).
_LOCK_COMPANY = (
    select(companies.c.id)
    .where(companies.c.id == bindparam("company_id"))
    # FOR NO KEY UPDATE: accepts of one company queue on it, while the foreign-key checks of
    # a worker's inserts (FOR KEY SHARE of the company) pass. With FOR UPDATE they waited,
    # and a worker holding the company's backlog row then deadlocked with an accept.
    .with_for_update(key_share=True)
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
_BY_KEY = (
    select(requests.c.subunique, requests.c.fingerprint, windows.c.unique_code)
    .join(windows, windows.c.id == requests.c.window_id)
    .where(
        requests.c.company_id == bindparam("company_id"),
        requests.c.idempotency_key == bindparam("key"),
    )
)
_RECENTLY_DONE = select(func.coalesce(func.sum(requests.c.done), 0)).where(
    requests.c.company_id == bindparam("company_id"),
    requests.c.finished_at >= bindparam("since"),
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
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    max_pending: int = 0,
    http_request_id: str | None = None,
) -> StoredRequest:
    """Store the request and decide its `unique` in one transaction (SPEC 1.5), committed with
    the other requests waiting in `group` if one is given. A replay of its idempotency key
    comes back with `replayed`; a reused key or a full backlog raises `Refused` (SPEC 1.8,
    1.10)."""
    request = NewRequest(
        company_id,
        company_code,
        route,
        payload,
        total,
        validity_seconds,
        idempotency_key,
        fingerprint,
        max_pending,
        http_request_id,
    )
    if group is not None:
        return group.store(request)
    return _settled(store_requests(db, [request])[0])


def _settled(outcome: StoredRequest | Refused) -> StoredRequest:
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def store_requests(db: Database, batch: Sequence[NewRequest]) -> list[StoredRequest | Refused]:
    """Store `batch` in acceptance order in one transaction, each deciding its `unique`.

    Each request is first looked up by its idempotency key and checked against the backlog
    quota, in that order (SPEC 1.4): a replay or a refusal stores nothing and is settled for
    that request alone. Requests earlier in the batch count (same transaction), so two with
    one key store one, and the quota counts every record stored before.
    An IntegrityError (a concurrent twin's key committed first, or an id drawn twice) runs the
    transaction again, which then finds the twin's key and replays it.

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
) -> StoredRequest | Refused:
    if request.idempotency_key is not None:
        earlier = conn.execute(
            _BY_KEY, {"company_id": request.company_id, "key": request.idempotency_key}
        ).first()
        if earlier is not None:
            if earlier.fingerprint != request.fingerprint:
                return Refused(422, KEY_REUSED)
            return StoredRequest(
                request.company_code, earlier.unique_code, earlier.subunique, replayed=True
            )
    if request.max_pending:
        waiting = pending(conn, request.company_id)
        if waiting + request.total > request.max_pending:
            excess = waiting + request.total - request.max_pending
            return Refused(429, BACKLOG_FULL, _retry_after(conn, request.company_id, excess, now))
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
            {
                **row,
                "window_id": window_id,
                "subunique": subunique,
                "created_at": now,
                "idempotency_key": request.idempotency_key,
                "fingerprint": request.fingerprint,
                "http_request_id": request.http_request_id,
            },
        )
    )
    conn.execute(_INSERT_PAYLOAD, {"request_id": request_id, "payload": request.payload})
    add_pending(conn, request.company_id, request.total)
    return StoredRequest(request.company_code, unique, subunique)


def _retry_after(conn: Connection, company_id: int, excess: int, now: datetime) -> int:
    """Seconds until about `excess` records of the company are processed, at the rate of the
    last minute (records of its requests finished then); a minute when it finished none."""
    since = now - timedelta(seconds=_RATE_WINDOW_SECONDS)
    done = int(
        conn.execute(_RECENTLY_DONE, {"company_id": company_id, "since": since}).scalar() or 0
    )
    if done <= 0:
        return _IDLE_RETRY_SECONDS
    seconds = math.ceil(excess * _RATE_WINDOW_SECONDS / done)
    return min(_MAX_RETRY_SECONDS, max(1, seconds))


class _Ticket:
    """One request waiting in a GroupCommit, and what became of it."""

    def __init__(self, request: NewRequest) -> None:
        self.request = request
        self.stored: StoredRequest | None = None
        self.error: BaseException | None = None  # a failed turn, or this request's refusal

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
            if isinstance(result, Refused):
                ticket.error = result
            else:
                ticket.stored = result
