"""The retention policy: remove processes (and their error rows) past retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select

from itg.storage.database import Database
from itg.storage.schema import requests, windows


def purge(db: Database, gone_by: datetime) -> int:
    """Delete the processes finished at or before `gone_by`; returns how many.

    `gone_by` comes from the read side's one rule (`itg.processes.visibility.cutoffs`), so the
    purge removes exactly what `GET /process` already answers 404 for (SPEC 1.5). Error rows go
    with their request (ON DELETE CASCADE); windows left empty go too.
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
    return removed
