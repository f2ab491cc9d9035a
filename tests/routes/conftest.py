"""Fixtures of the route-rule tests (SPEC 2): every test here runs on SQLite and on the real
PostgreSQL (the `settings` of tests/engines.py).

- `harness`: records applied straight by the route's service, chunk by chunk, on the test's
  database (tests/harness.py); most rule tests use it;
- `api`: the same through HTTP and the queue: POST, a real worker, GET /process
  (tests/driving.py); a handful per route keep the wire covered.
Both return the report of GET /process and read the company's tables (tests/tables.py);
records come from tests/builders.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from itg.settings import Settings
from itg.storage.database import Database
from tests import engines
from tests.builders import ANA, BIA
from tests.driving import Driver
from tests.harness import Harness
from tests.tenants import Tenant

settings = engines.settings


@pytest.fixture
def harness(db: Database, tenant: Tenant, settings: Settings) -> Harness:
    return Harness(db, tenant, settings.chunk_size)


@pytest.fixture
def api(client: TestClient, tenant: Tenant, db: Database, run_worker: Callable[[], int]) -> Driver:
    return Driver(db, tenant, client, run_worker)


@pytest.fixture
def ready(harness: Harness) -> Harness:
    """The harness with two employees, ANA and BIA, and the absence reason ATM
    (`Atestado médico`)."""
    harness.employees(ANA, BIA)
    harness.reason("ATM", "Atestado médico")
    return harness
