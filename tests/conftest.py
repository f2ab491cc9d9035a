"""Shared fixtures: a real SQLite file per test, a company with a service user, an in-process
API client, and a way to drain the queue with a real worker."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database, open_database
from itg.storage.migrate import upgrade_schema
from itg.worker import Worker


@dataclass(frozen=True)
class Tenant:
    code: str
    id: int
    username: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return basic_auth(self.username, self.password)


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'itg.db'}", credential_cache_seconds=0)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    upgrade_schema(database)
    yield database
    database.dispose()


def make_tenant(db: Database, code: str, routes: tuple[str, ...] | None = None) -> Tenant:
    """A company with one service user (all routes unless `routes` says otherwise)."""
    from itg.permissions import ALL_ROUTES

    company = tenants.create_company(db, code, f"Company {code}")
    user, password = tenants.create_service_user(db, f"user-{code}", code, routes or ALL_ROUTES)
    return Tenant(company.code, company.id, user.username, password)


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return make_tenant(db, "a000101")


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The API in-process, without embedded workers (tests drain the queue explicitly)."""
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as test_client:
        yield test_client


def drain(db: Database, settings: Settings) -> int:
    """Run a real worker until the queue is empty; returns how many requests it processed."""
    worker = Worker(db, settings)
    count = 0
    while worker.run_once():
        count += 1
    return count


@pytest.fixture
def run_worker(db: Database, settings: Settings):  # type: ignore[no-untyped-def]
    return lambda: drain(db, settings)
