"""Fixtures of the queue and worker tests (storage, queue and worker on real SQLite and real
PostgreSQL: every test here runs on both engines through the `settings` of tests/engines.py).

Records come from tests/builders.py; fixtures here:
- `store`: requests stored straight through `accept_request`, reads and nudges of the queue,
  and the company's tables (tests/tables.py);
- `api`: POST a request, drain the queue with a real worker, read GET /process
  (tests/driving.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from itg.storage.database import Database
from itg.storage.intake import StoredRequest, accept_request
from itg.storage.schema import record_errors, requests
from itg.timeutil import utcnow
from tests import engines
from tests.driving import Driver
from tests.tables import Tables
from tests.tenants import Tenant

Record = dict[str, Any]

settings = engines.settings


class Store(Tables):
    """The queue, read and nudged directly, beside the company's tables."""

    def accept(
        self, records: Sequence[Record], route: str = "people", tenant: Tenant | None = None
    ) -> StoredRequest:
        """Store a request exactly as the API does after its shape checks."""
        owner = tenant or self.tenant
        return accept_request(
            self.db,
            company_id=owner.id,
            company_code=owner.code,
            route=route,
            payload=orjson.dumps(list(records)),
            total=len(records),
            validity_seconds=900,
        )

    def request(self, subunique: str, tenant: Tenant | None = None) -> Record:
        """The stored request row (the queue entry) of a subunique."""
        owner = tenant or self.tenant
        with self.db.read() as conn:
            row = conn.execute(
                select(requests).where(
                    requests.c.company_id == owner.id, requests.c.subunique == subunique
                )
            ).one()
        return dict(row._mapping)

    def expire_lease(self, request_id: int) -> None:
        """Make a claim look abandoned (a dead or stuck worker): its lease ran out."""
        with self.db.write() as conn:
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(lease_expires_at=utcnow() - timedelta(minutes=1))
            )

    def errors(self, request_id: int) -> list[Record]:
        """Stored error rows of a request in index order, messages decoded."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(record_errors)
                .where(record_errors.c.request_id == request_id)
                .order_by(record_errors.c.idx)
            ).all()
        return [{**row._mapping, "messages": orjson.loads(row.messages)} for row in rows]


@pytest.fixture
def store(db: Database, tenant: Tenant) -> Store:
    return Store(db, tenant)


@pytest.fixture
def api(client: TestClient, tenant: Tenant, db: Database, run_worker: Callable[[], int]) -> Driver:
    return Driver(db, tenant, client, run_worker)
