"""Cancelling a process (SPEC 1.9), the storage side: one write transaction on its row.

A queued request ends at once; a processing one is only marked, and its worker ends it at
its next chunk boundary (itg/storage/queue.py `fence_chunk`, `cancel_held`). The row is
locked first (`FOR NO KEY UPDATE` on PostgreSQL; SQLite's writer lock holds the whole database), so
a cancel and a chunk never interleave: a cancel racing the final chunk either lands before
it (the worker sees it and ends the request `canceled`) or after it (409).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select, update

from itg.storage import queue, webhooks
from itg.storage.database import Database
from itg.storage.schema import CANCELED, PROCESSING, QUEUED, requests
from itg.timeutil import utcnow


class CancelOutcome(StrEnum):
    CANCELED = "canceled"  # was queued: ended now, nothing applied
    REQUESTED = "requested"  # is processing: its worker stops at the next chunk boundary
    FINISHED = "finished"  # already final: nothing changed (409)


def request_cancel(db: Database, request_id: int) -> CancelOutcome:
    """Cancel one request (found and permitted by the caller)."""
    with db.write() as conn:
        row = conn.execute(
            select(requests.c.company_id, requests.c.status, requests.c.total)
            .where(requests.c.id == request_id)
            # FOR NO KEY UPDATE, as an UPDATE itself locks: the foreign-key checks of rows
            # referencing the request (its error entries) are not held up by it.
            .with_for_update(key_share=True)
        ).one()
        if row.status == QUEUED:
            # Before the status changes: the backlog loses what the row says is left.
            queue.drop_remaining(conn, row.company_id, request_id, row.total)
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(
                    status=CANCELED,
                    cancel_requested=True,
                    finished_at=utcnow(),
                    lease_expires_at=None,
                )
            )
            # The outbox, in the transaction that ends it (SPEC 1.12).
            webhooks.enqueue_finished(conn, row.company_id, request_id)
            return CancelOutcome.CANCELED
        if row.status == PROCESSING:
            conn.execute(
                update(requests).where(requests.c.id == request_id).values(cancel_requested=True)
            )
            return CancelOutcome.REQUESTED
        return CancelOutcome.FINISHED
