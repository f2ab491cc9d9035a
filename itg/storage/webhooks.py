"""Completion webhooks, the storage side (SPEC 1.12): endpoints, the outbox, attempts.

The outbox is written by `enqueue_finished` inside the transaction that gives a process its
final status (`queue.advance`, `queue.cancel_held`, `cancel.request_cancel`), so an event can
neither be lost after the status commits nor exist without it. With no endpoint for the
company that costs one indexed read, once per finished request.

Delivery (itg/delivery.py) claims due events with a lease, like requests: `FOR UPDATE SKIP
LOCKED` on PostgreSQL, the writer's lock on SQLite. A claim increments `attempts`, and the
outcome is recorded only while the event is still pending at that attempt (fencing), so a
sender whose lease ran out cannot overwrite another's outcome.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import ColumnElement, Connection, and_, delete, insert, or_, select, text, update

from itg.domain.webhook_signature import new_message_id
from itg.errors import NotFoundError
from itg.outcomes import progress
from itg.storage.database import Database, inserted_id
from itg.storage.schema import (
    WEBHOOK_DELIVERED,
    WEBHOOK_FAILED,
    WEBHOOK_PENDING,
    WEBHOOK_PENDING_SQL,
    companies,
    requests,
    webhook_attempts,
    webhook_endpoints,
    webhook_events,
    windows,
)
from itg.storage.tenants import company_id as company_id_of
from itg.timeutil import iso, utcnow

EVENT_TYPE = "process.finished"
ERROR_TEXT_LIMIT = 500  # an attempt's error is kept this long at most
# How many due events one claim reads to pick one per endpoint from.
_CANDIDATES_PER_SLOT = 4
# How many times one claim reads again when other processes took every event it chose.
_CLAIM_ROUNDS = 3


@dataclass(frozen=True)
class Endpoint:
    id: int
    company: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One event held by one sender for one attempt (`attempt`, 1-based)."""

    id: int
    event_id: str
    endpoint_id: int
    url: str
    secret: str
    body: bytes
    attempt: int
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None


@dataclass(frozen=True)
class EventState:
    """An event as `itg webhook deliveries` and the dashboard show it."""

    event_id: str
    endpoint_id: int
    url: str
    subunique: str
    status: str
    next_attempt_at: datetime | None
    attempts: tuple[Attempt, ...]


# -- endpoints -------------------------------------------------------------------------------


def add_endpoint(db: Database, company_code: str, url: str, secret: str) -> Endpoint:
    """Register a receiver of a company (NotFoundError for an unknown company)."""
    now = utcnow()
    with db.write() as conn:
        company = company_id_of(conn, company_code)
        new_id = inserted_id(
            conn.execute(
                insert(webhook_endpoints).values(
                    company_id=company, url=url, secret=secret, created_at=now
                )
            )
        )
    return Endpoint(new_id, company_code, url, now)


def list_endpoints(db: Database, company_code: str) -> list[Endpoint]:
    with db.read() as conn:
        company = company_id_of(conn, company_code)
        rows = conn.execute(
            select(webhook_endpoints.c.id, webhook_endpoints.c.url, webhook_endpoints.c.created_at)
            .where(webhook_endpoints.c.company_id == company)
            .order_by(webhook_endpoints.c.id)
        ).all()
    return [Endpoint(row.id, company_code, row.url, row.created_at) for row in rows]


def remove_endpoint(db: Database, endpoint_id: int) -> None:
    """Remove an endpoint; its events (and their attempts) go with it."""
    with db.write() as conn:
        removed = conn.execute(
            delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        ).rowcount
    if not removed:
        raise NotFoundError(f"Webhook endpoint not found: {endpoint_id}")


# -- the outbox ------------------------------------------------------------------------------


def enqueue_finished(conn: Connection, company_id: int, request_id: int) -> int:
    """Write one event per endpoint of the company for a request that just became final, in
    the caller's transaction (after the statement that ended it). Returns how many."""
    endpoint_ids = (
        conn.execute(
            select(webhook_endpoints.c.id).where(webhook_endpoints.c.company_id == company_id)
        )
        .scalars()
        .all()
    )
    if not endpoint_ids:
        return 0
    row = conn.execute(
        select(requests, companies.c.code, windows.c.unique_code)
        .join(companies, companies.c.id == requests.c.company_id)
        .join(windows, windows.c.id == requests.c.window_id)
        .where(requests.c.id == request_id)
    ).one()
    body = finished_body(
        company=row.code,
        unique=row.unique_code,
        subunique=row.subunique,
        route=row.route,
        status=row.status,
        done=row.done,
        total=row.total,
        failed=row.failed,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )
    now = utcnow()
    conn.execute(
        insert(webhook_events),
        [
            {
                "event_id": new_message_id(),
                "endpoint_id": endpoint_id,
                "company_id": company_id,
                "request_id": request_id,
                "subunique": row.subunique,
                "body": body,
                "status": WEBHOOK_PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "lease_expires_at": None,
                "created_at": now,
                "finished_at": None,
            }
            for endpoint_id in endpoint_ids
        ],
    )
    return len(endpoint_ids)


def finished_body(
    *,
    company: str,
    unique: str,
    subunique: str,
    route: str,
    status: str,
    done: int,
    total: int,
    failed: int,
    created_at: datetime,
    finished_at: datetime | None,
) -> bytes:
    """The event's body (SPEC 1.12); progress as strings, as the monitor writes it."""
    return orjson.dumps(
        {
            "type": EVENT_TYPE,
            "timestamp": iso(finished_at),
            "data": {
                "company": company,
                "unique": unique,
                "subunique": subunique,
                "route": route,
                "status": status,
                "progress": progress(done, total),
                "errors": failed,
                "created_at": iso(created_at),
                "finished_at": iso(finished_at),
            },
        }
    )


# -- delivery --------------------------------------------------------------------------------

_DUE = text(WEBHOOK_PENDING_SQL)  # the partial index's own words, for SQLite's planner


def claim_due(
    db: Database, limit: int, lease_seconds: float, busy_endpoints: Collection[int] = ()
) -> list[Delivery]:
    """Claim up to `limit` due events, at most one per endpoint and none of `busy_endpoints`
    (those this process is sending to): a dead receiver holds one sender, not all of them.

    The candidates are read outside the write transaction, through the partial index of
    pending events: an idle poll never takes SQLite's write lock. The write transaction then
    takes only the chosen rows still due (on PostgreSQL passing by, not waiting for, the rows
    another process is claiming).
    """
    if limit <= 0:
        return []
    now = utcnow()
    due = and_(
        _DUE,
        webhook_events.c.next_attempt_at <= now,
        or_(
            webhook_events.c.lease_expires_at.is_(None),
            webhook_events.c.lease_expires_at < now,
        ),
    )
    if busy_endpoints:
        due = and_(due, webhook_events.c.endpoint_id.not_in(list(busy_endpoints)))
    for _round in range(_CLAIM_ROUNDS):
        with db.read() as conn:
            candidates = conn.execute(
                select(webhook_events.c.id, webhook_events.c.endpoint_id)
                .where(due)
                .order_by(webhook_events.c.next_attempt_at, webhook_events.c.id)
                .limit(limit * _CANDIDATES_PER_SLOT)
            ).all()
        chosen: dict[int, int] = {}
        for row in candidates:
            if row.endpoint_id not in chosen and len(chosen) < limit:
                chosen[row.endpoint_id] = row.id
        if not chosen:
            return []
        taken = _take(
            db, and_(webhook_events.c.id.in_(list(chosen.values())), due), now, lease_seconds
        )
        if taken:
            return taken
    return []  # others were faster every time; the next poll tries again


def _take(
    db: Database, still_due: ColumnElement[bool], now: datetime, lease_seconds: float
) -> list[Delivery]:
    """Lease the chosen events that are still due; those another process took are passed by."""
    with db.write() as conn:
        locked = select(webhook_events.c.id).where(still_due)
        if db.is_postgres:
            locked = locked.with_for_update(skip_locked=True)
        ids = list(conn.execute(locked).scalars())
        if not ids:
            return []
        conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id.in_(ids))
            .values(
                attempts=webhook_events.c.attempts + 1,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
        )
        rows = conn.execute(
            select(
                webhook_events.c.id,
                webhook_events.c.event_id,
                webhook_events.c.endpoint_id,
                webhook_events.c.body,
                webhook_events.c.attempts,
                webhook_events.c.created_at,
                webhook_endpoints.c.url,
                webhook_endpoints.c.secret,
            )
            .join(webhook_endpoints, webhook_endpoints.c.id == webhook_events.c.endpoint_id)
            .where(webhook_events.c.id.in_(ids))
            .order_by(webhook_events.c.next_attempt_at, webhook_events.c.id)
        ).all()
    return [
        Delivery(
            id=row.id,
            event_id=row.event_id,
            endpoint_id=row.endpoint_id,
            url=row.url,
            secret=row.secret,
            body=bytes(row.body),
            attempt=row.attempts,
            created_at=row.created_at,
        )
        for row in rows
    ]


def next_attempt_at(
    delivery: Delivery, now: datetime, retry_seconds: Sequence[float], give_up_seconds: float
) -> datetime | None:
    """When to try again after this attempt failed, or None to give up: the delays of the
    schedule in turn (the last one repeats), while that is within `give_up_seconds` of the
    event."""
    delay = retry_seconds[min(delivery.attempt, len(retry_seconds)) - 1]
    retry_at = now + timedelta(seconds=delay)
    if retry_at > delivery.created_at + timedelta(seconds=give_up_seconds):
        return None
    return retry_at


def record_attempt(
    db: Database,
    delivery: Delivery,
    *,
    status_code: int | None,
    error: str | None,
    delivered: bool,
    retry_at: datetime | None,
) -> str | None:
    """Record one attempt's outcome: delivered, retried at `retry_at`, or failed (retry_at
    None). Returns the event's new status; None when the claim no longer held (another
    sender took the event over after this one's lease ran out), so nothing was written."""
    now = utcnow()
    if delivered:
        values: dict[str, object] = {"status": WEBHOOK_DELIVERED, "finished_at": now}
    elif retry_at is None:
        values = {"status": WEBHOOK_FAILED, "finished_at": now}
    else:
        values = {"next_attempt_at": retry_at}
    with db.write() as conn:
        held = conn.execute(
            update(webhook_events)
            .where(
                webhook_events.c.id == delivery.id,
                webhook_events.c.status == WEBHOOK_PENDING,
                webhook_events.c.attempts == delivery.attempt,
            )
            .values(lease_expires_at=None, **values)
        ).rowcount
        if held != 1:
            return None
        conn.execute(
            insert(webhook_attempts).values(
                event_id=delivery.id,
                attempt=delivery.attempt,
                at=now,
                status_code=status_code,
                error=None if error is None else error[:ERROR_TEXT_LIMIT],
            )
        )
    return str(values.get("status", WEBHOOK_PENDING))


# -- reading ---------------------------------------------------------------------------------


def list_deliveries(
    db: Database, company_code: str, *, failed_only: bool = False
) -> list[EventState]:
    """A company's events, oldest first, each with its attempts."""
    with db.read() as conn:
        company = company_id_of(conn, company_code)
        condition = webhook_events.c.company_id == company
        if failed_only:
            condition = and_(condition, webhook_events.c.status == WEBHOOK_FAILED)
        return _events(conn, condition)


def deliveries_of_request(db: Database, request_id: int) -> list[EventState]:
    """The events of one process (the dashboard's process page)."""
    with db.read() as conn:
        return _events(conn, webhook_events.c.request_id == request_id)


def _events(conn: Connection, condition: ColumnElement[bool]) -> list[EventState]:
    rows = conn.execute(
        select(
            webhook_events.c.id,
            webhook_events.c.event_id,
            webhook_events.c.endpoint_id,
            webhook_events.c.subunique,
            webhook_events.c.status,
            webhook_events.c.next_attempt_at,
            webhook_endpoints.c.url,
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == webhook_events.c.endpoint_id)
        .where(condition)
        .order_by(webhook_events.c.id)
    ).all()
    attempts: dict[int, list[Attempt]] = {row.id: [] for row in rows}
    if rows:
        for a in conn.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.event_id.in_(list(attempts)))
            .order_by(webhook_attempts.c.event_id, webhook_attempts.c.attempt)
        ):
            attempts[a.event_id].append(Attempt(a.attempt, a.at, a.status_code, a.error))
    return [
        EventState(
            event_id=row.event_id,
            endpoint_id=row.endpoint_id,
            url=row.url,
            subunique=row.subunique,
            status=row.status,
            next_attempt_at=row.next_attempt_at if row.status == WEBHOOK_PENDING else None,
            attempts=tuple(attempts[row.id]),
        )
        for row in rows
    ]


def purge_events(conn: Connection, gone_by: datetime) -> int:
    """Delete the delivered and failed events that ended at or before `gone_by` (their
    attempts cascade); pending ones stay until they end."""
    return conn.execute(
        delete(webhook_events).where(
            webhook_events.c.status.in_((WEBHOOK_DELIVERED, WEBHOOK_FAILED)),
            webhook_events.c.finished_at <= gone_by,
        )
    ).rowcount
