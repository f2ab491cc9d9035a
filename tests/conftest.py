"""Shared fixtures: a real SQLite file per test (or a real PostgreSQL, see `pg_database`; a
folder runs on both with the fixtures of tests/engines.py), the test tenant and another
company (tests/tenants.py), an in-process API client, and a way to drain the queue with a
real worker (tests/driving.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.settings import Settings
from itg.storage.database import Database, open_database
from itg.storage.migrate import upgrade_schema
from tests.driving import drain
from tests.pg_cluster import Cluster, PostgresUnavailable, start_cluster
from tests.tenants import OTHER_CODE, TENANT_CODE, Tenant, make_tenant


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
    """The test's company, with an all-routes service user."""
    return make_tenant(db, TENANT_CODE)


@pytest.fixture
def other_company(db: Database, tenant: Tenant) -> Tenant:
    """A second company with an all-routes service user (created after `tenant`)."""
    return make_tenant(db, OTHER_CODE)


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The API in-process, without embedded workers (tests drain the queue explicitly)."""
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def run_worker(db: Database, settings: Settings) -> Callable[[], int]:
    """`run_worker()`: drain the queue with a real worker; how many requests it processed."""
    return lambda: drain(db, settings)
