"""`itg backup`: a consistent copy of a live SQLite database (SPEC 3.1; docs/operations.md).

A `cp` of a WAL database is not a backup: the newest commits live in the `-wal` file until a
checkpoint, and a copy taken while a writer runs can tear. SQLite's online backup API copies
the pages of one read snapshot instead; in WAL mode a reader blocks no writer, so the server
goes on accepting meanwhile. The copy is made in one step: a backup in page steps holds no
snapshot between steps, and SQLite restarts it whenever another connection writes — under a
steady write load, over and over. Then `PRAGMA integrity_check` reads the copy back.

PostgreSQL has its own tools (`pg_dump`, base backups); this module does not wrap them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from itg.errors import ConfigError, ItgError
from itg.storage.database import SQLITE_BUSY_TIMEOUT_MS, sqlalchemy_url


class BackupError(ItgError):
    """The backup could not be made (nothing is left at the target path)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes


def backup_database(database_url: str, target: Path) -> Backup:
    """Copy the SQLite database of `database_url` into the new file `target`.

    Refuses an existing `target` and a PostgreSQL URL; a copy that fails its integrity check
    is removed and reported.
    """
    source = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    try:
        # Created here, exclusively: an existing file is never overwritten, even by a race.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{target} already exists; give a new path") from None
    except OSError as exc:
        raise BackupError(f"cannot create {target}: {exc.strerror}") from None
    try:
        _copy(source, target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return Backup(path=target.resolve(), size=target.stat().st_size)


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL; a PostgreSQL URL is refused with the tool to use instead."""
    url = make_url(sqlalchemy_url(database_url))  # ConfigError for anything else
    if url.get_backend_name() != "sqlite":
        raise ConfigError(
            "itg backup copies SQLite databases only; back up PostgreSQL with pg_dump"
            " (e.g. pg_dump --format=custom --file=itg.dump DATABASE_URL)"
        )
    if not url.database or url.database == ":memory:":
        raise ConfigError("itg backup needs a SQLite database file, not an in-memory one")
    return Path(url.database)


def _copy(source: Path, target: Path) -> None:
    # mode=rw: a missing source is an error, never a new empty database.
    src = sqlite3.connect(
        f"file:{quote(str(source.resolve()))}?mode=rw",
        uri=True,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: one step, one snapshot (see the module's docstring)
            (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        src.close()
    if verdict != "ok":
        raise BackupError(f"the copy failed its integrity check: {verdict}")
