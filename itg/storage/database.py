"""Engine setup for SQLite and PostgreSQL, and the two kinds of transaction itg uses.

Every dialect difference of the connection itself lives here. SQLite runs in WAL mode with
`synchronous=FULL` (an answered request survives power loss); write transactions start with
`BEGIN IMMEDIATE` so that two writers queue on the busy timeout instead of failing on a
lock upgrade.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from itg.errors import ConfigError
from itg.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Blocking storage calls run in the server's worker threads (anyio's default limit is 40).
# Keeping that many connections pooled means no request ever pays for opening one (on SQLite
# that includes switching the journal mode), and none waits for another's.
POOLED_CONNECTIONS = 40
_WRITE_OPTION = "itg_write"


class Database:
    """An engine plus the knowledge of which dialect it speaks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.is_postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time. Threads of this process queue on this lock, which
        # hands over at once, instead of in SQLite's busy handler, which sleeps up to 100 ms
        # between tries and made the accept latency's tail long. Other processes still meet
        # on the busy timeout.
        self._sqlite_writer: AbstractContextManager[object] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: serialised up front on SQLite, committed on exit.

        The connection is taken from the pool before the lock, so that the lock is held for
        the transaction alone (BEGIN IMMEDIATE to COMMIT), not for a pool checkout.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE_OPTION: True})
            with self._sqlite_writer, conn.begin():
                yield conn

    @contextmanager
    def rehearsal(self) -> Iterator[Connection]:
        """A write transaction that is always rolled back (a dry run, SPEC 1.11).

        Taken exactly like `write` (the same lock and BEGIN IMMEDIATE on SQLite, so it queues
        with the process's other writers and the other processes' alike); whatever the block
        wrote, or however it ended, nothing is ever committed.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE_OPTION: True})
            with self._sqlite_writer:
                transaction = conn.begin()
                try:
                    yield conn
                finally:
                    transaction.rollback()

    @contextmanager
    def schema_change(self) -> Iterator[Connection]:
        """A write transaction for migrations: on SQLite with foreign keys not enforced.

        SQLite changes a table's constraints by rebuilding it, and dropping the old table would
        cascade to the rows that reference it. The switch is a no-op inside a transaction, so
        it is made before BEGIN and undone after COMMIT; the references are checked before
        committing (SQLite's documented procedure for schema changes).
        """
        if not self.is_sqlite:
            with self.write() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys=OFF")
            try:
                conn = conn.execution_options(**{_WRITE_OPTION: True})
                with self._sqlite_writer, conn.begin():
                    yield conn
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"a schema change broke a reference: {tuple(broken)}")
            finally:
                driver.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both engines)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the probes, SPEC 1.7)."""
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def inserted_id(result: CursorResult[*tuple[Any, ...]]) -> int:
    """The primary key of the row a single-row INSERT just wrote.

    SQLAlchemy types `inserted_primary_key` as optional: it is missing only for an
    executemany, which never reaches here.
    """
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT reported no primary key")
    new_id: int = key[0]
    return new_id


def sqlalchemy_url(database_url: str) -> str:
    """Map the user-facing URL onto the driver itg uses (psycopg 3 for PostgreSQL)."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigError(f"ITG_DATABASE_URL is not a database URL: {database_url!r}") from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    raise ConfigError(
        f"ITG_DATABASE_URL must start with sqlite:// or postgresql://, got {database_url!r}"
    )


def open_database(settings: Settings) -> Database:
    """Create the engine for the configured URL (no connection is made yet)."""
    url = sqlalchemy_url(settings.database_url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=POOLED_CONNECTIONS,
            max_overflow=8,
        )
        _configure_sqlite(engine, settings.sqlite_synchronous)
    else:
        # PostgreSQL connections cost server memory: a smaller pool, grown on demand.
        engine = create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)
    return Database(engine)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions out of the driver's hands: itg emits BEGIN itself (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writing = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
