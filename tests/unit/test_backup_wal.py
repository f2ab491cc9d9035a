"""`itg backup` copies what a WAL database holds only in its `-wal` file (issue 14): the very
commits a `cp` of the database file would lose. Real SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from itg.storage.backup import backup_database

ROWS = 200


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE name = 'work'").fetchall()
        found = conn.execute("SELECT count(*) FROM work").fetchone()[0] if tables else 0
    conn.close()
    return int(found)


def test_a_backup_holds_the_commits_still_in_the_wal(tmp_path: Path):
    # Given a WAL database whose commits are all still in its -wal file (no checkpoint yet),
    # its writer still connected
    live = tmp_path / "live.db"
    writer = sqlite3.connect(live)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        with writer:
            writer.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, payload TEXT)")
            writer.executemany(
                "INSERT INTO work (payload) VALUES (?)", [("x" * 100,) for _ in range(ROWS)]
            )
        # (a copy of the database file alone has none of them: what `cp` would keep)
        shutil.copyfile(live, tmp_path / "cp.db")
        assert _count(tmp_path / "cp.db") == 0

        # When it is backed up while the writer is connected
        backup = backup_database(f"sqlite:///{live}", tmp_path / "copy.db")

        # Then the copy holds every committed row
        assert backup.path == (tmp_path / "copy.db").resolve()
        assert _count(tmp_path / "copy.db") == ROWS
    finally:
        writer.close()
