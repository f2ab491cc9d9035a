"""Shared fixtures: a real SQLite file per test (or a real PostgreSQL, see `pg_database`), a
company with a service user, an in-process API client, and a way to drain the queue with a
real worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.settings import Settings
from itg.storage.database import Database, open_database
from itg.storage.migrate import upgrade_schema
from itg.worker import Worker
from tests.pg_cluster import Cluster, PostgresUnavailable, start_cluster
from tests.tenants import Tenant, basic_auth, make_tenant

__all__ = ["Tenant", "basic_auth", "make_tenant"]  # also imported by some test modules


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'itg.db'}", credential_cache_seconds=0)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster per test run.

    Without PostgreSQL on the machine the tests that need it skip — unless
    ITG_REQUIRE_POSTGRES=1 (as in CI), where a missing server fails them instead.
    """
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        if os.environ.get("ITG_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"ITG_REQUIRE_POSTGRES=1 but {exc}")
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_cluster: Cluster) -> Iterator[Database]:
    """The session's PostgreSQL database, migrated once; `pg_settings` empties it per test."""
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE itg_test")
    database = open_database(Settings(database_url=pg_cluster.url("itg_test")))
    upgrade_schema(database)
    yield database
    database.dispose()


@pytest.fixture
def pg_settings(pg_database: Database) -> Settings:
    """Settings on the session's PostgreSQL database, emptied first (cheap isolation)."""
    from sqlalchemy import text

    from itg.storage.schema import metadata

    names = ", ".join(table.name for table in metadata.sorted_tables)
    with pg_database.write() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    url = pg_database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return Settings(database_url=url, credential_cache_seconds=0)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    upgrade_schema(database)
    yield database
    database.dispose()


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
