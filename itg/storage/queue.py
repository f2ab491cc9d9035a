"""The request table used as a queue: claim, fence, advance, release, fault (SPEC 3.2–3.4).

Every write a worker makes after its claim is conditional on the attempt it claimed, so a
worker whose lease was taken over can never write again (fencing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    TextualSelect,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from itg.errors import LeaseLostError
from itg.outcomes import RecordError, final_status
from itg.storage import webhooks
from itg.storage.database import Database
from itg.storage.schema import (
    CANCELED,
    PROCESSING,
    QUEUED,
    UNFINISHED_SQL,
    companies,
    company_backlog,
    company_turns,
    record_errors,
    request_payloads,
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
    subunique: str = ""
    http_request_id: str | None = None  # the X-Request-Id of the POST that stored it (SPEC 1.7)


def claim_next(db: Database, lease_seconds: float) -> Claim | None:
    """Claim the next request of the company served least recently, if one can start now.

    Each company's candidate is its head: the oldest of its unfinished (queued or processing)
    requests. Only the head may start, which is FIFO per company; it holds under concurrency
    because final states are terminal, so a stale snapshot can only show an earlier request
    as less finished than it is. A head is claimable when queued, or when processing with an
    expired lease (a dead or stuck worker, or a fault's retry delay). Among the companies
    with a claimable head, the one a worker served least recently goes first (round robin,
    SPEC 3.2), so one tenant's backlog delays another's request by about one request per
    worker.

    The candidates are read outside the write transaction, through the index of unfinished
    work (one seek per company), never the payloads; the write transaction then only takes
    the chosen row, conditional on what was read, so accepting is never held up by a claim.
    """
    now = utcnow()
    with db.read() as conn:
        candidates = _claimable_heads(conn, now)
    for request_id, attempt in candidates:
        claim = _take(db, request_id, attempt, now, lease_seconds)
        if claim is not None:
            return claim
    return None


# How many heads one claim tries before it gives up for this round: the others were taken
# by concurrent workers between the read and the write.
_CANDIDATES_PER_CLAIM = 8
_NEVER = datetime.min


def head_query() -> TextualSelect:
    """Each company's head (its oldest unfinished request) and when it was last served.

    A skip scan of the partial index ix_requests_unfinished, one seek per company that has
    unfinished work: each step finds the first entry after the previous company, in the
    index's own order (company, id), then reads that row by primary key. Asking for each
    company's `min(id)` instead let PostgreSQL's planner walk the primary key from the oldest
    request and filter, reading the whole history to find a company's head (or to find it
    has none) whenever it guessed that unfinished rows were spread evenly; no other index
    yields this order, so no plan can do that here. The literal predicate lets SQLite use the
    partial index too. Kept apart from the read of the heads' rows (see _claimable_heads).
    """
    return _HEADS


_NEXT_HEAD = (
    "SELECT u.id FROM requests AS u WHERE u.{unfinished}{after} ORDER BY u.company_id, u.id LIMIT 1"
)
_HEADS = text(
    f"""
    WITH RECURSIVE heads(head_id, company_id) AS (
        SELECT h.id, h.company_id FROM requests AS h
        WHERE h.id = ({_NEXT_HEAD.format(unfinished=UNFINISHED_SQL, after="")})
        UNION ALL
        SELECT h.id, h.company_id FROM heads, requests AS h
        WHERE h.id = ({
        _NEXT_HEAD.format(unfinished=UNFINISHED_SQL, after=" AND u.company_id > heads.company_id")
    })
    )
    SELECT heads.head_id, company_turns.served_at FROM heads
    LEFT OUTER JOIN company_turns ON company_turns.company_id = heads.company_id
    """
).columns(head_id=Integer, served_at=DateTime)


def _claimable_heads(conn: Connection, now: datetime) -> list[tuple[int, int]]:
    """(id, attempt) of the heads that can start now, least recently served company first."""
    served = {
        head_id: served_at or _NEVER
        for head_id, served_at in conn.execute(head_query())
        if head_id is not None
    }
    if not served:
        return []
    rows = sorted(
        conn.execute(
            select(requests.c.id, requests.c.attempt).where(
                requests.c.id.in_(served), _claimable(now)
            )
        ).all(),
        key=lambda row: (served[row.id], row.id),
    )
    return [(row.id, row.attempt) for row in rows[:_CANDIDATES_PER_CLAIM]]


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        requests.c.status == QUEUED,
        and_(requests.c.status == PROCESSING, requests.c.lease_expires_at < now),
    )


def _take(
    db: Database, request_id: int, seen_attempt: int, now: datetime, lease_seconds: float
) -> Claim | None:
    """Claim one head if it is still as it was read; None when another worker was faster."""
    still_claimable = and_(
        requests.c.id == request_id, requests.c.attempt == seen_attempt, _claimable(now)
    )
    try:
        with db.write() as conn:
            if db.is_postgres:
                # A row another worker is claiming (or a stuck chunk still holds) is passed
                # by, not waited for.
                locked = select(requests.c.id).where(still_claimable)
                if conn.execute(locked.with_for_update(skip_locked=True)).first() is None:
                    return None
            taken = conn.execute(
                update(requests)
                .where(still_claimable)
                .values(
                    status=PROCESSING,
                    attempt=requests.c.attempt + 1,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    started_at=func.coalesce(requests.c.started_at, now),
                )
            ).rowcount
            if taken != 1:
                return None
            row = conn.execute(
                select(requests, companies.c.code, request_payloads.c.payload)
                .join(companies, companies.c.id == requests.c.company_id)
                .outerjoin(request_payloads)
                .where(requests.c.id == request_id)
            ).one()
            _mark_served(conn, row.company_id, now)
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
        # A missing payload cannot be applied: it fails to decode, a fault like any other.
        payload=row.payload if row.payload is not None else b"",
        created_at=row.created_at,
        subunique=row.subunique,
        http_request_id=row.http_request_id,
    )


def _mark_served(conn: Connection, company_id: int, now: datetime) -> None:
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = upsert(company_turns).values(company_id=company_id, served_at=now)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["company_id"], set_={"served_at": now})
    )


@dataclass(frozen=True)
class Fenced:
    """What a chunk's fence found: its time, and whether a cancel was requested (SPEC 1.9)."""

    now: datetime
    cancel_requested: bool


def fence(conn: Connection, claim: Claim, lease_seconds: float) -> datetime:
    """`fence_chunk`'s time, for the writers that end a request whatever was asked."""
    return fence_chunk(conn, claim, lease_seconds).now


def fence_chunk(conn: Connection, claim: Claim, lease_seconds: float) -> Fenced:
    """Renew the lease, proving the claim still holds; the row stays locked until commit.

    It also reads `cancel_requested` in the same statement: read under the row's lock (the
    writer's lock on SQLite), a cancel is either seen here or answered 409 after this chunk
    commits the final status, never lost in between (SPEC 1.9).

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
    lease = {"lease_expires_at": now + timedelta(seconds=lease_seconds)}
    renewed = conn.execute(_RENEW_LEASE, {**_held_params(claim), **lease}).all()
    if len(renewed) != 1:
        raise LeaseLostError(f"request {claim.request_id} attempt {claim.attempt} lost its lease")
    return Fenced(now, bool(renewed[0].cancel_requested))


def cancel_held(conn: Connection, claim: Claim) -> None:
    """End a held request on its cancel (SPEC 1.9), in the fenced transaction: committed
    chunks stay, the rest leaves the backlog unprocessed."""
    drop_remaining(conn, claim.company_id, claim.request_id, claim.total)
    conn.execute(_CANCEL_HELD, {**_held_params(claim), "finished_at": utcnow()})
    webhooks.enqueue_finished(conn, claim.company_id, claim.request_id)  # SPEC 1.12 outbox


def drop_remaining(conn: Connection, company_id: int, request_id: int, total: int) -> None:
    """Uncount the records of a request that ends before processing them (cancel, SPEC 1.9):
    its `total` minus the `done` the row holds, read in the same statement. Run it before
    the statement that ends the request, in the same transaction."""
    conn.execute(
        _SHRINK_BACKLOG,
        {"backlog_company": company_id, "request_id": request_id, "done": total},
    )


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
                    "identifier": storable_text(error.identifier),
                    "messages": storable_text(orjson.dumps(list(error.messages)).decode()),
                }
                for error in errors
            ],
        )
    # The records this call processed leave the company's backlog (itg/storage/backlog.py):
    # `done` minus what the row said, read in the same statement.
    conn.execute(
        _SHRINK_BACKLOG,
        {"backlog_company": claim.company_id, "request_id": claim.request_id, "done": done},
    )
    values: dict[str, object] = {**_held_params(claim), "done": done, "failed": failed}
    if done < claim.total:
        conn.execute(_ADVANCE, values)
        return None
    status = final_status(claim.total, failed)
    conn.execute(_FINISH, {**values, "status": status, "finished_at": utcnow()})
    webhooks.enqueue_finished(conn, claim.company_id, claim.request_id)  # SPEC 1.12 outbox
    return status


def release(db: Database, claim: Claim) -> None:
    """Give the request back to the queue (graceful stop): progress stays, no lease wait."""
    with db.write() as conn:
        conn.execute(
            update(requests).where(_held(claim)).values(status=QUEUED, lease_expires_at=None)
        )


def record_fault(db: Database, claim: Claim, retry_delay_seconds: float) -> Claim | None:
    """Count an unexpected error of this attempt; returns the claim as it stands now.

    The request keeps its claim (still `processing`, the same attempt) with a lease that
    ends after the retry delay: no worker takes it before then, its company waits, other
    companies go on. The returned claim carries the new fault count and the progress the
    attempt committed, so the caller can end the request at once after the last attempt.
    None when the claim no longer holds: the request was reclaimed (e.g. after the server
    ended a stuck chunk, see `fence`), so the error is not the request's and nothing changes.
    """
    retry_at = utcnow() + timedelta(seconds=retry_delay_seconds)
    with db.write() as conn:
        counted = conn.execute(
            update(requests)
            .where(_held(claim))
            .values(lease_expires_at=retry_at, faults=requests.c.faults + 1)
        ).rowcount
        if counted != 1:
            return None
        row = conn.execute(
            select(requests.c.faults, requests.c.done, requests.c.failed).where(
                requests.c.id == claim.request_id
            )
        ).one()
    return replace(claim, faults=row.faults, done=row.done, failed=row.failed)


def end_minimally(db: Database, claim: Claim, lease_seconds: float, message: str) -> None:
    """End a request whose error entries could not be written (SPEC 3.4): every remaining
    record counts failed, under one entry with identifier "" carrying `message`.

    The least a transaction can write: nothing from the payload, one fixed row.
    """
    with db.write() as conn:
        fence(conn, claim, lease_seconds)
        done, failed = conn.execute(
            select(requests.c.done, requests.c.failed).where(requests.c.id == claim.request_id)
        ).one()
        remaining = claim.total - done
        stand_in = replace(claim, done=done, failed=failed)
        entry = RecordError(done, "", (message,))
        advance(conn, stand_in, claim.total, failed + remaining, [entry] if remaining else [])


def storable_text(text: str) -> str:
    """Text both engines store alike: PostgreSQL cannot hold U+0000, so it shows as U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _held(claim: Claim) -> ColumnElement[bool]:
    return and_(
        requests.c.id == claim.request_id,
        requests.c.attempt == claim.attempt,
        requests.c.status == PROCESSING,
    )


# The statements every chunk runs, built once (building them per call cost as much Python as
# running them): conditional on the claim like `_held`, with its values bound at execution.
_HELD_BY_PARAMS = and_(
    requests.c.id == bindparam("held_id"),
    requests.c.attempt == bindparam("held_attempt"),
    requests.c.status == PROCESSING,
)
_RENEW_LEASE = (
    update(requests)
    .where(_HELD_BY_PARAMS)
    .values(lease_expires_at=bindparam("lease_expires_at"))
    .returning(requests.c.cancel_requested)
)
_CANCEL_HELD = (
    update(requests)
    .where(_HELD_BY_PARAMS)
    .values(status=CANCELED, finished_at=bindparam("finished_at"), lease_expires_at=None)
)
_ADVANCE = (
    update(requests)
    .where(_HELD_BY_PARAMS)
    .values(done=bindparam("done"), failed=bindparam("failed"))
)
_FINISH = (
    update(requests)
    .where(_HELD_BY_PARAMS)
    .values(
        done=bindparam("done"),
        failed=bindparam("failed"),
        status=bindparam("status"),
        finished_at=bindparam("finished_at"),
        lease_expires_at=None,
    )
)


_SHRINK_BACKLOG = (
    update(company_backlog)
    .where(company_backlog.c.company_id == bindparam("backlog_company"))
    .values(
        pending_records=company_backlog.c.pending_records
        - (
            bindparam("done", type_=Integer)
            - select(requests.c.done)
            .where(requests.c.id == bindparam("request_id"))
            .scalar_subquery()
        )
    )
)


def _held_params(claim: Claim) -> dict[str, int]:
    return {"held_id": claim.request_id, "held_attempt": claim.attempt}
