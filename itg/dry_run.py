"""Dry run (SPEC 1.11): every record rule of a request, applied and then rolled back.

The records go through the worker's own path, `Service.apply_chunk` on a `SqlChunkStore`
chunk by chunk (SPEC 3.3), so there is one rule set, not a copy. All the chunks share one
write transaction that is never committed (`Database.rehearsal`): a record sees the records
before it, also across chunks, and nothing is stored. On SQLite that transaction queues for
the write lock like a worker's chunk and holds it about as long as applying would.

What it cannot see: requests of the company still queued ahead of it (they are not applied
yet), so the answer is what `GET /process` would show had the request been applied now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from itg.outcomes import RecordError, Status, final_status
from itg.processes.shapes import error_entry, progress
from itg.services.base import ChunkContext, Record, Service, internal_errors
from itg.storage.chunk_store import SqlChunkStore
from itg.storage.database import Database
from itg.storage.queue import storable_text
from itg.timeutil import utcnow

log = logging.getLogger("itg.dry_run")


@dataclass(frozen=True)
class Rehearsal:
    """The outcome of a dry run: every record processed, these failed (in input order)."""

    total: int
    errors: tuple[RecordError, ...]

    @property
    def status(self) -> Status:
        return final_status(self.total, len(self.errors))

    def body(self, company_code: str) -> bytes:
        """The 200 of a dry run (SPEC 1.11): `status`, `progress` and `data.errors` byte for
        byte as `GET /process` shows them once stored (itg/processes/report.py), U+0000 shown
        as U+FFFD as storage does (`storable_text`)."""
        entries = [
            error_entry(
                error.index,
                storable_text(error.identifier),
                storable_text(orjson.dumps(list(error.messages)).decode()),
            )
            for error in self.errors
        ]
        return orjson.dumps(
            {
                "company": company_code,
                "dry_run": True,
                "status": self.status,
                "progress": progress(self.total, self.total),
                "data": {"errors": orjson.Fragment(b"[" + b",".join(entries) + b"]")},
            }
        )


def rehearse(
    db: Database, service: Service[Any], company_id: int, payload: bytes, chunk_size: int
) -> Rehearsal:
    """Apply `payload` (a JSON array of objects that passed SPEC 1.4's shape checks) for the
    company in chunks of `chunk_size`, inside one transaction that is rolled back.

    A fault of the service (a bug, not bad input) fails the records from its chunk on with
    `Erro interno ao processar registro`, as the worker's last attempt does (SPEC 3.4), and
    is logged with its traceback; the caller still gets its answer.
    """
    records: list[Record] = orjson.loads(payload)  # decoded before the write lock is taken
    errors: list[RecordError] = []
    with db.rehearsal() as conn:
        for start in range(0, len(records), chunk_size):
            chunk = list(enumerate(records[start : start + chunk_size], start))
            try:
                store = SqlChunkStore(conn, company_id)
                errors += service.apply_chunk(ChunkContext(store, utcnow()), chunk)
            except Exception:
                log.exception("dry run of %s (company %s) failed", service.route, company_id)
                errors += internal_errors(service, records, start, len(records))
                break
    return Rehearsal(len(records), tuple(errors))
