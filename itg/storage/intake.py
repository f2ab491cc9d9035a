"""Storing an accepted write request: the request row is the job (one transaction, one commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from itg.security import random_id
from itg.storage.database import Database, inserted_id
from itg.storage.schema import QUEUED, companies, request_payloads, requests, windows
from itg.timeutil import utcnow

# Random 8-hex ids collide within a company about once in 4 billion draws; a few redraws
# make a failure practically impossible while still surfacing a real integrity bug.
_ID_DRAWS = 5


@dataclass(frozen=True)
class StoredRequest:
    """What storing a write request decided: the ids of its 200 answer (SPEC 1.4)."""

    company: str
    unique: str
    subunique: str


def accept_request(
    db: Database,
    *,
    company_id: int,
    company_code: str,
    route: str,
    payload: bytes,
    total: int,
    validity_seconds: int,
) -> StoredRequest:
    """Store the request and decide its `unique` in one transaction (SPEC 1.5).

    The company's latest window is read under the write lock (BEGIN IMMEDIATE on SQLite, a
    row lock on the company on PostgreSQL), so two concurrent requests never open two windows.
    """
    for draw in range(_ID_DRAWS):
        try:
            with db.write() as conn:
                if db.is_postgres:
                    conn.execute(
                        select(companies.c.id).where(companies.c.id == company_id).with_for_update()
                    )
                now = utcnow()
                window = conn.execute(
                    select(windows.c.id, windows.c.unique_code, windows.c.last_request_at)
                    .where(windows.c.company_id == company_id)
                    .order_by(windows.c.id.desc())
                    .limit(1)
                ).first()
                if window is None or now - window.last_request_at >= timedelta(
                    seconds=validity_seconds
                ):
                    unique = random_id()
                    window_id = inserted_id(
                        conn.execute(
                            insert(windows).values(
                                company_id=company_id,
                                unique_code=unique,
                                opened_at=now,
                                last_request_at=now,
                            )
                        )
                    )
                else:
                    unique, window_id = window.unique_code, window.id
                    conn.execute(
                        update(windows).where(windows.c.id == window_id).values(last_request_at=now)
                    )
                subunique = random_id()
                request_id = inserted_id(
                    conn.execute(
                        insert(requests).values(
                            company_id=company_id,
                            window_id=window_id,
                            subunique=subunique,
                            route=route,
                            total=total,
                            done=0,
                            failed=0,
                            status=QUEUED,
                            attempt=0,
                            faults=0,
                            created_at=now,
                        )
                    )
                )
                conn.execute(
                    insert(request_payloads).values(request_id=request_id, payload=payload)
                )
            return StoredRequest(company_code, unique, subunique)
        except IntegrityError:
            if draw == _ID_DRAWS - 1:
                raise
    raise AssertionError("unreachable")
