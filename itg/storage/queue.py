"""The request table used as a queue: claim, fence, advance, release, fail (SPEC 3.2–3.4).

Every write a worker makes after its claim is conditional on the attempt it claimed, so a
worker whose lease was taken over can never write again (fencing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Connection, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from itg.errors import LeaseLostError
from itg.storage.database import Database
from itg.storage.schema import (
    DONE,
    ERROR,
    PROCESSING,
    QUEUED,
    WARNING,
    companies,
    record_errors,
    requests,
)
from itg.timeutil import utcnow


@dataclass(frozen=True)
class Claim:
    """One request held by one worker for one attempt."""

    request_id: int
    company_id: int
    company_code: str
    route: str
    attempt: int
    faults: int
    total: int
    done: int
    failed: int
    payload: bytes
    created_at: datetime  # when the request was accepted (its latency runs from here)


@dataclass(frozen=True)
class RecordError:
    index: int
    identifier: str
    messages: tuple[str, ...]


def final_status(total: int, failed: int) -> str:
    if failed == 0:
        return DONE
    return ERROR if failed == total else WARNING


def claim_next(db: Database, lease_seconds: float) -> Claim | None:
    """Claim the oldest unfinished request of a company, if nobody is working on it.

    A queued request is claimable only when no earlier request of its company is unfinished
    (queued or processing): that is FIFO per company, and it holds under concurrency because a
    stale snapshot can only show an earlier request as less finished than it is — never the
    other way round, since final states are terminal. (Asking merely "is anything of the
    company processing?" let a worker skip past an earlier request that another worker had
    locked but not yet marked, and start the later one first.) A request whose lease expired
    (dead or stuck worker) is claimable again. On PostgreSQL `SKIP LOCKED` lets workers pass
    each other; the partial unique index (one `processing` per company) is the last guard.
    """
    earlier = aliased(requests)
    now = utcnow()
    earlier_unfinished = exists().where(
        earlier.c.company_id == requests.c.company_id,
        earlier.c.id < requests.c.id,
        earlier.c.status.in_((QUEUED, PROCESSING)),
    )
    candidate = (
        select(requests.c.id)
        .where(
            or_(
                and_(requests.c.status == QUEUED, ~earlier_unfinished),
                and_(requests.c.status == PROCESSING, requests.c.lease_expires_at < now),
            )
        )
        .order_by(requests.c.id)
        .limit(1)
    )
    if db.is_postgres:
        candidate = candidate.with_for_update(skip_locked=True, of=requests)
    try:
        with db.write() as conn:
            request_id = conn.execute(candidate).scalar()
            if request_id is None:
                return None
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(
                    status=PROCESSING,
                    attempt=requests.c.attempt + 1,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    started_at=func.coalesce(requests.c.started_at, now),
                )
            )
            row = conn.execute(
                select(requests, companies.c.code)
                .join(companies, companies.c.id == requests.c.company_id)
                .where(requests.c.id == request_id)
            ).one()
    except IntegrityError:
        return None  # another worker took this company's turn first; try again later
    return Claim(
        request_id=row.id,
        company_id=row.company_id,
        company_code=row.code,
        route=row.route,
        attempt=row.attempt,
        faults=row.faults,
        total=row.total,
        done=row.done,
        failed=row.failed,
        payload=row.payload,
        created_at=row.created_at,
    )


def fence(conn: Connection, claim: Claim, lease_seconds: float) -> datetime:
    """Renew the lease, proving the claim still holds; the row stays locked until commit.

    On PostgreSQL that row lock would also outlive the lease: claims skip locked rows, so a
    worker stuck inside a chunk (paused, cut off from the network) would keep its request,
    and with it its company, from being reclaimed for as long as it stays stuck. The server
    therefore ends a chunk's transaction that idles as long as the lease: the chunk is rolled
    back, the request can be reclaimed, and the stale worker fails at its next statement.
    """
    if conn.dialect.name == "postgresql":
        idle_ms = max(1, round(lease_seconds * 1000))
        conn.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {idle_ms}")
    now = utcnow()
    renewed = conn.execute(
        update(requests)
        .where(_held(claim))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
    ).rowcount
    if renewed != 1:
        raise LeaseLostError(f"request {claim.request_id} attempt {claim.attempt} lost its lease")
    return now


def advance(
    conn: Connection, claim: Claim, done: int, failed: int, errors: Sequence[RecordError]
) -> str | None:
    """Record a chunk's outcome; with the last chunk, set the final status. Returns it."""
    if errors:
        conn.execute(
            insert(record_errors),
            [
                {
                    "request_id": claim.request_id,
                    "idx": error.index,
                    "identifier": error.identifier,
                    "messages": orjson.dumps(list(error.messages)).decode(),
                }
                for error in errors
            ],
        )
    values: dict[str, object] = {"done": done, "failed": failed}
    status = None
    if done == claim.total:
        status = final_status(claim.total, failed)
        values.update(status=status, finished_at=utcnow(), lease_expires_at=None)
    conn.execute(update(requests).where(_held(claim)).values(**values))
    return status


def release(db: Database, claim: Claim) -> None:
    """Give the request back to the queue (graceful stop): progress stays, no lease wait."""
    with db.write() as conn:
        conn.execute(
            update(requests).where(_held(claim)).values(status=QUEUED, lease_expires_at=None)
        )


def record_fault(db: Database, claim: Claim) -> int | None:
    """Count an unexpected error of this attempt and requeue; returns the new fault count.

    None when the claim no longer holds: the request was reclaimed (e.g. after the server
    ended a stuck chunk, see `fence`), so the error is not the request's and nothing changes.
    """
    with db.write() as conn:
        counted = conn.execute(
            update(requests)
            .where(_held(claim))
            .values(status=QUEUED, lease_expires_at=None, faults=requests.c.faults + 1)
        ).rowcount
        if counted != 1:
            return None
        return conn.execute(
            select(requests.c.faults).where(requests.c.id == claim.request_id)
        ).scalar_one()


def _held(claim: Claim):  # type: ignore[no-untyped-def]
    return and_(
        requests.c.id == claim.request_id,
        requests.c.attempt == claim.attempt,
        requests.c.status == PROCESSING,
    )
