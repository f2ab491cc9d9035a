"""Reads behind `GET /metrics`: the queue depth, and the latency of a finished request."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from itg.storage.database import Database
from itg.storage.schema import PROCESSING, QUEUED, requests


def queue_depth(db: Database) -> dict[str, int]:
    """Requests waiting and in progress, all companies: one grouped query (on the claim index)."""
    with db.read() as conn:
        rows = conn.execute(
            select(requests.c.status, func.count())
            .where(requests.c.status.in_((QUEUED, PROCESSING)))
            .group_by(requests.c.status)
        )
        return {status: count for status, count in rows}


def process_latency(conn: Connection, request_id: int) -> float:
    """finished_at − created_at in seconds, read in the transaction that set finished_at."""
    created_at, finished_at = conn.execute(
        select(requests.c.created_at, requests.c.finished_at).where(requests.c.id == request_id)
    ).one()
    return max(0.0, (finished_at - created_at).total_seconds())
