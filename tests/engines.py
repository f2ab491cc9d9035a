"""The two engines a test runs on: SQLite and the real PostgreSQL of tests/pg_cluster.py.

A folder or module that runs on both imports the fixtures it needs into its conftest:
- `settings` for in-process tests: a fresh SQLite file, or the session's PostgreSQL database
  emptied (the `pg_settings` fixture of tests/conftest.py);
- `engine` and `database_url` for real processes: a SQLite file, or a database of the test's
  own created on the session's cluster and dropped afterwards.
A missing PostgreSQL skips the `postgres` cases, or fails them under ITG_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from itg.settings import Settings

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# For what the SPEC states for PostgreSQL only: `@POSTGRES_ONLY` on a test using `engine`.
POSTGRES_ONLY = pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """In-process tests on both engines: a fresh SQLite file, or the emptied PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_settings")
    return Settings(database_url=f"sqlite:///{tmp_path / 'itg.db'}", credential_cache_seconds=0)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test for real processes: a SQLite file, or a PostgreSQL
    database created on the session's throwaway cluster and dropped afterwards (with the
    connections of killed processes that the server may still hold)."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'itg.db'}"
        return
    import psycopg

    cluster = request.getfixturevalue("pg_cluster")
    name = f"itg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
