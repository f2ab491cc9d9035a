"""Helpers local to the HTTP contract tests (SPEC 1.1–1.6).

Everything is a fixture so test modules never import from a conftest: another service user
(the test tenant and `other_company` are in tests/conftest.py), an app built with other
Settings, a row count of the request table, and a literal check of the error shape of
SPEC 1.2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from itg.api.app import create_app
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import requests
from tests import errors, tenants
from tests.tenants import Tenant


@pytest.fixture
def add_user(db: Database) -> Callable[[str, Tenant, tuple[str, ...]], Tenant]:
    """`add_user(username, company, routes)`: another service user of an existing company."""
    return lambda username, company, routes: tenants.add_user(db, company, username, routes)


@pytest.fixture
def make_client(settings: Settings, db: Database) -> Iterator[Callable[..., TestClient]]:
    """`make_client(**overrides)`: the API over the same database with other Settings."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        app = create_app(replace(settings, **overrides), db)
        test_client = TestClient(app, raise_server_exceptions=False)
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def stored_requests(db: Database) -> Callable[[], int]:
    """How many write requests the storage holds (a refused request must add none)."""

    def count() -> int:
        with db.read() as conn:
            return conn.execute(select(func.count()).select_from(requests)).scalar_one()

    return count


@pytest.fixture
def assert_error() -> Callable[[httpx.Response, int, str], None]:
    """`assert_error(response, status, message)`: the exact error answer of SPEC 1.2 (the one
    helper, tests/errors.py)."""
    return errors.assert_error
