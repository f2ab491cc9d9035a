"""GET /readyz (SPEC 1.7): ready when the database answers, its schema is at this code's head
and the process is not draining; otherwise 503 with the error of SPEC 1.2 naming why. Like
/healthz, it needs no credentials. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text

from itg.api.app import create_app
from itg.api.readiness import Readiness
from itg.settings import Settings
from itg.storage.database import Database, open_database
from itg.storage.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade_schema
from tests import engines
from tests.errors import assert_error
from tests.processes import free_port

settings = engines.settings
engine = engines.engine
database_url = engines.database_url

READY = {"status": "ready"}


def app_client(settings: Settings, db: Database, readiness: Readiness | None = None) -> TestClient:
    return TestClient(create_app(settings, db, readiness=readiness), raise_server_exceptions=False)


@pytest.fixture
def at_0004(database_url: str) -> Iterator[tuple[Settings, Database]]:
    """A database of this test whose schema is at revision 0004, one behind head."""
    settings = Settings(database_url=database_url, credential_cache_seconds=0)
    db = open_database(settings)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.schema_change() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    try:
        yield settings, db
    finally:
        db.dispose()


def test_readyz_is_ready_without_credentials(client: TestClient):
    # Given a database at head (the fixtures migrate it) and no credentials
    # When the readiness probe is read
    response = client.get("/readyz")
    # Then the process is ready
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == READY


def test_readyz_is_503_while_migrations_are_pending_and_ready_once_they_ran(
    at_0004: tuple[Settings, Database],
):
    settings, db = at_0004
    assert current_revision(db) == "0004" != head_revision()
    # Given a server over a database one migration behind this code
    with app_client(settings, db) as client:
        # When the probes are read
        # Then it is alive but not ready
        assert client.get("/healthz").json() == {"status": "ok"}
        assert_error(client.get("/readyz"), 503, "Not ready: migrations pending")
        assert_error(client.get("/readyz"), 503, "Not ready: migrations pending")

        # When another process brings the schema to head
        upgrade_schema(db)
        # Then it is ready
        response = client.get("/readyz")
        assert (response.status_code, response.json()) == (200, READY)

        # And "at head" is remembered (a schema never goes back): the revision is not read
        # again, only the storage probed
        with db.write() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        assert client.get("/readyz").json() == READY


def test_readyz_is_503_during_a_drain_while_the_rest_is_served(
    settings: Settings, db: Database, tenant
):
    # Given a server whose process drains (as `itg serve` does on SIGTERM)
    readiness = Readiness()
    with app_client(settings, db, readiness=readiness) as client:
        assert client.get("/readyz").json() == READY
        readiness.drain()
        # When the probes are read
        # Then it is not ready, still alive, and still serves requests
        assert_error(client.get("/readyz"), 503, "Not ready: draining")
        assert client.get("/healthz").json() == {"status": "ok"}
        accepted = client.post("/costcenter", headers=tenant.headers, json=[{"codigo": "1"}])
        assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("engine_name", ["sqlite", "postgres"])
def test_readyz_is_503_when_storage_is_unreachable(engine_name: str, tmp_path: Path):
    # Given a server whose database cannot be reached (a missing directory; a closed port)
    url = (
        f"sqlite:///{tmp_path / 'missing' / 'itg.db'}"
        if engine_name == "sqlite"
        else f"postgresql://itg@127.0.0.1:{free_port()}/itg?connect_timeout=5"
    )
    unreachable = Settings(database_url=url)
    db = open_database(unreachable)
    try:
        with app_client(unreachable, db) as client:
            # When the probes are read
            # Then both say so
            assert_error(client.get("/readyz"), 503, "Storage unreachable")
            assert_error(client.get("/healthz"), 503, "Storage unreachable")
    finally:
        db.dispose()


def test_readyz_is_described_as_public_in_the_document(client: TestClient):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/readyz"]["get"]
    assert operation["security"] == []
    assert set(operation["responses"]) == {"200", "503"}
    # Any other method is the router's 405
    assert_error(client.post("/readyz"), 405, "Method Not Allowed")
