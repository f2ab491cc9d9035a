"""The retention policy: remove processes (and their error rows) past retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import requests, windows


def purge(db: Database, settings: Settings, now: datetime) -> int:
    """Delete processes that expired more than the retention ago; returns how many.

    Retention counts from expiry (finished + validity), so a retention of 0 purges at expiry.
    Error rows go with their request (ON DELETE CASCADE); windows left empty go too.
    """
    threshold = now - timedelta(seconds=settings.validity_seconds + settings.retention_seconds)
    with db.write() as conn:
        removed = conn.execute(
            delete(requests).where(
                requests.c.finished_at.is_not(None), requests.c.finished_at <= threshold
            )
        ).rowcount
        conn.execute(
            delete(windows).where(
                windows.c.last_request_at <= threshold,
                ~exists(select(requests.c.id).where(requests.c.window_id == windows.c.id)),
            )
        )
    return removed
