"""The services-level harness: a route's records applied by its `Service`, chunk by chunk, on
a real connection (SQLite or PostgreSQL), as the worker applies them, without HTTP and
without the queue.

Each chunk runs as in `Worker._apply` (itg/worker.py): the records decoded from the JSON
the client would send, `SERVICES[route].apply_chunk(ChunkContext(SqlChunkStore(conn,
company_id), now), list(enumerate(chunk, start)))` inside one `db.write()` transaction. What
the worker adds around it (claim, lease, progress, the stored error entries) is the queue's,
tested in tests/integration; the end-to-end tests of each route in tests/routes check the
wire. The outcome comes back in the shape of GET /process's body, so a rule test reads the
same on either side of the wire.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from itg.outcomes import RecordError, final_status
from itg.services.base import ChunkContext
from itg.services.registry import SERVICES
from itg.storage.chunk_store import SqlChunkStore
from itg.timeutil import utcnow
from tests.driving import Applier
from tests.tenants import Tenant

Record = dict[str, Any]


@dataclass
class Harness(Applier):
    """One company's records applied straight by the services (`chunk_size` as Settings)."""

    chunk_size: int = 100

    def outcome(
        self, route: str, records: list[Any], tenant: Tenant | None = None
    ) -> list[RecordError]:
        """Apply the records chunk by chunk, each chunk in its own transaction; the failed
        records."""
        owner = tenant or self.tenant
        # What the worker decodes: the JSON an HTTP client sends for these records.
        sent = orjson.loads(json.dumps(records, ensure_ascii=False, separators=(",", ":")))
        service = SERVICES[route]
        failed: list[RecordError] = []
        for start in range(0, len(sent), self.chunk_size):
            chunk = list(enumerate(sent[start : start + self.chunk_size], start))
            with self.db.write() as conn:
                ctx = ChunkContext(SqlChunkStore(conn, owner.id), utcnow())
                failed += service.apply_chunk(ctx, chunk)
        return failed

    def apply(self, route: str, records: list[Any], tenant: Tenant | None = None) -> Record:
        """Apply the records; the report GET /process would give once they are applied."""
        return report(route, len(records), self.outcome(route, records, tenant))


def report(route: str, total: int, failed: Sequence[RecordError]) -> Record:
    """The part of GET /process's body (SPEC 1.6) that applying decides: route, final status,
    progress and the error entries in index order."""
    return {
        "route": route,
        "status": str(final_status(total, len(failed))),
        "progress": {"done": str(total), "total": str(total)},
        "data": {
            "errors": [
                {"identifier": e.identifier, "index": e.index, "message": list(e.messages)}
                for e in sorted(failed, key=lambda e: e.index)
            ]
        },
    }
