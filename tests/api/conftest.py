"""Helpers local to the HTTP contract tests (SPEC 1.1–1.6).

Everything is a fixture so test modules never import from a conftest: more companies, an
app built with other Settings, a row count of the request table, and a literal check of the
error shape of SPEC 1.2.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from itg.api.app import create_app
from itg.permissions import all_routes
from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database
from itg.storage.schema import requests


@dataclass(frozen=True)
class ServiceUser:
    company: str
    username: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


@pytest.fixture
def add_tenant(db: Database) -> Callable[..., ServiceUser]:
    """`add_tenant(code, routes=all_routes())`: a new company with one service user."""

    def add(code: str, routes: tuple[str, ...] | None = None) -> ServiceUser:
        tenants.create_company(db, code, f"Company {code}")
        allowed = all_routes() if routes is None else routes
        user, password = tenants.create_service_user(db, f"user-{code}", code, allowed)
        return ServiceUser(code, user.username, password)

    return add


@pytest.fixture
def add_user(db: Database) -> Callable[..., ServiceUser]:
    """`add_user(username, company, routes)`: another service user of an existing company."""

    def add(username: str, company: str, routes: tuple[str, ...]) -> ServiceUser:
        user, password = tenants.create_service_user(db, username, company, routes)
        return ServiceUser(company, user.username, password)

    return add


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


def _assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"code": status, "message": message}}


@pytest.fixture
def assert_error() -> Callable[[httpx.Response, int, str], None]:
    """`assert_error(response, status, message)`: the exact error answer of SPEC 1.2."""
    return _assert_error
