"""`itg backup PATH` (issue 14; docs/operations.md): a consistent copy of a live SQLite
database through SQLite's online backup API, checked, into a new file; PostgreSQL is pointed
to pg_dump. Run as real processes: a live `itg serve` under write load, `python -m itg backup`,
then a new `itg serve` on the copy."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx

from tests.builders import person
from tests.crash.helpers import ACCEPTED_PEOPLE, body
from tests.processes import Itg, wait_until

ENOUGH = 30  # requests accepted before the backup starts
PG_REFUSAL = (
    "itg: error: itg backup copies SQLite databases only; back up PostgreSQL with pg_dump"
    " (e.g. pg_dump --format=custom --file=itg.dump DATABASE_URL)\n"
)


class Writer(threading.Thread):
    """POSTs one person after another to a server until stopped; keeps the subunique of
    every request whose 200 arrived, in order."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.accepted: list[str] = []
        self.stopping = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        sent = 0
        while not self.stopping.is_set():
            sent += 1
            response = self.client.post("/people", content=body([person(f"B{sent:05d}")]))
            if response.status_code != 200 or response.json()["message"] != ACCEPTED_PEOPLE:
                self.failure = response.text
                return
            self.accepted.append(response.json()["subunique"])


def test_a_backup_of_a_live_database_under_load_holds_every_accepted_request(cli, tmp_path: Path):
    # Given a live `itg serve` on SQLite, and a thread sending it POSTs one after another
    itg = Itg("sqlite", cli.database_url, tmp_path)
    restored = Itg("sqlite", f"sqlite:///{tmp_path / 'copy.db'}", tmp_path / "restored")
    restored.workdir.mkdir()
    try:
        itg.init()
        server = itg.serve(workers=1)
        with server.client() as client:
            writer = Writer(client)
            writer.start()
            wait_until(lambda: len(writer.accepted) >= ENOUGH, 60, f"{ENOUGH} accepted")

            # When `itg backup` runs while the writes go on
            before = list(writer.accepted)
            result = cli.ok("backup", "copy.db")
            after = len(writer.accepted)
            wait_until(lambda: len(writer.accepted) > after, 30, "more accepted after the backup")
            writer.stopping.set()
            writer.join(timeout=30)
        assert writer.failure is None, writer.failure
        server.stop_cleanly()

        # Then it printed the new file and its size
        copy = tmp_path / "copy.db"
        assert result.lines == [f"path: {copy}", f"bytes: {copy.stat().st_size}"]
        # And the copy passes SQLite's integrity check
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()

        # And a new `itg serve` on it answers GET /process for every request whose 200 arrived
        # before the backup started
        restored.credentials = itg.credentials
        copied = restored.serve(workers=0)
        with copied.client() as client:
            statuses = {
                subunique: client.get("/process", params={"subunique": subunique}).status_code
                for subunique in before
            }
        assert statuses == dict.fromkeys(before, 200)
        copied.stop_cleanly()
    finally:
        itg.close()
        restored.close()


def test_backup_refuses_an_existing_path(cli, initialized: str, tmp_path: Path):
    # Given a file already at the target path
    target = tmp_path / "taken.db"
    target.write_bytes(b"precious")
    # When `itg backup` is asked to write there
    result = cli("backup", str(target))
    # Then it refuses with one line and exit status 1, leaving the file as it was
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == f"itg: error: {target} already exists; give a new path\n"
    assert target.read_bytes() == b"precious"


def test_backup_of_a_database_file_that_does_not_exist_fails(cli, tmp_path: Path):
    result = cli("backup", "copy.db", "--database", f"sqlite:///{tmp_path / 'none.db'}")
    assert (result.status, result.stdout) == (1, "")
    assert result.stderr == f"itg: error: no SQLite database at {tmp_path / 'none.db'}\n"
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "none.db").exists()


def test_backup_points_postgresql_to_pg_dump(cli, tmp_path: Path):
    # Given a PostgreSQL URL (no server needs to answer: nothing is opened)
    # When `itg backup` runs
    result = cli("backup", "copy.db", "--database", "postgresql://itg@127.0.0.1:9/itg")
    # Then it refuses with one line pointing to pg_dump, and writes nothing
    assert (result.status, result.stdout, result.stderr) == (1, "", PG_REFUSAL)
    assert not (tmp_path / "copy.db").exists()


def test_backup_prints_json(cli, initialized: str, tmp_path: Path):
    result = cli.ok("backup", "copy.db", "--json")
    copy = tmp_path / "copy.db"
    assert result.json() == {"path": str(copy), "bytes": copy.stat().st_size}
