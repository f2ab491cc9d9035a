"""Fixtures of the crash and race tests: a database of the test's own on each engine (a SQLite
file, or a PostgreSQL database created on the session's cluster and dropped after the test),
and `itg`, the installation whose real processes the test starts; whatever still runs at the
end of the test is killed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crash.helpers import ENGINES, Itg


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test: a SQLite file, or a PostgreSQL database created on the
    session's throwaway cluster and dropped afterwards (with the connections of killed
    processes that the server may still hold)."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'itg.db'}"
        return
    import psycopg

    cluster = request.getfixturevalue("pg_cluster")
    name = f"crash_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def itg(engine: str, database_url: str, tmp_path: Path) -> Iterator[Itg]:
    """`itg init` done on the test's database; processes are started by the test."""
    installation = Itg(engine, database_url, tmp_path)
    try:
        installation.init()
        yield installation
    finally:
        installation.close()
