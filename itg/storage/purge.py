"""The retention policy: remove processes (and their error rows) and ended webhook events
past retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select

from itg.storage.database import Database
from itg.storage.schema import requests, windows
from itg.storage.webhooks import purge_events


def purge(db: Database, gone_by: datetime) -> int:
    """Delete the processes finished at or before `gone_by`; returns how many.

    `gone_by` comes from the read side's one rule (`itg.processes.visibility.cutoffs`), so the
    purge removes exactly what `GET /process` already answers 404 for (SPEC 1.5). Error rows go
    with their request (ON DELETE CASCADE); windows left empty go too. Webhook events that
    were delivered or failed by then go with their attempts; pending ones stay until they end
    (SPEC 1.12), their request reference cleared (ON DELETE SET NULL).
    """
    with db.write() as conn:
        removed = conn.execute(
            delete(requests).where(
                requests.c.finished_at.is_not(None), requests.c.finished_at <= gone_by
            )
        ).rowcount
        conn.execute(
            delete(windows).where(
                windows.c.last_request_at <= gone_by,
                ~exists(select(requests.c.id).where(requests.c.window_id == windows.c.id)),
            )
        )
        purge_events(conn, gone_by)
    return removed
