"""Create or upgrade the schema under a lock, so several processes may start at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from itg.storage.database import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# An arbitrary constant naming itg's schema lock among the cluster's advisory locks.
_PG_MIGRATION_LOCK = 0x17C0_0001


def upgrade_schema(db: Database) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there.

    SQLite serialises through `BEGIN IMMEDIATE` (the write transaction), PostgreSQL through a
    transaction-scoped advisory lock; both engines have transactional DDL, so a second process
    waits, then finds the schema current.
    """
    config = _config()
    with db.schema_change() as conn:
        if db.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def head_revision() -> str:
    """The newest revision of this code's migrations (what `upgrade_schema` brings a database
    to; /readyz compares the database with it, SPEC 1.7)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found under {MIGRATIONS_DIR}")
    return head


def current_revision(db: Database) -> str | None:
    """The revision the database's schema is at (None: no schema yet)."""
    with db.read() as conn:
        revision: str | None = MigrationContext.configure(conn).get_current_revision()
        return revision


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config
