"""The read behind `GET /metrics` (SPEC 1.7): the queue depth of the shared database."""

from __future__ import annotations

from sqlalchemy import func, select

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
