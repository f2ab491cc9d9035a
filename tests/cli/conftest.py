"""The `itg` command run as a real subprocess (`python -m itg`), one SQLite file per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from itg.permissions import all_routes
from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database, open_database
from itg.storage.intake import StoredRequest, accept_request
from itg.storage.migrate import upgrade_schema
from itg.storage.tenants import Company
from itg.worker import Worker

CLI_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Result:
    status: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return orjson.loads(self.stdout)

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def clean_env(database_url: str, **extra: str | None) -> dict[str, str]:
    """The caller's environment without any ITG_* setting, plus the database and `extra`
    (a variable given as None is left out)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ITG_")}
    env["ITG_DATABASE_URL"] = database_url
    env.update(extra)  # type: ignore[arg-type]
    return {key: value for key, value in env.items() if value is not None}


class Cli:
    """Runs `python -m itg …` in the test's directory against the test's database."""

    def __init__(self, cwd: Path, database_url: str) -> None:
        self.cwd = cwd
        self.database_url = database_url

    def __call__(self, *args: str, **env: str | None) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "itg", *args],
            cwd=self.cwd,
            env=clean_env(self.database_url, **env),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=CLI_TIMEOUT_SECONDS,
        )
        result = Result(completed.returncode, completed.stdout, completed.stderr)
        # The CLI's promise for every command: never a traceback, whatever happens.
        assert "Traceback" not in result.stderr, result.stderr
        assert "Traceback" not in result.stdout, result.stdout
        return result

    def ok(self, *args: str, **env: str | None) -> Result:
        """Run a command that must succeed silently on stderr."""
        result = self(*args, **env)
        assert (result.status, result.stderr) == (0, ""), result
        return result


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"sqlite:///{tmp_path / 'itg.db'}")


@contextmanager
def _opened(url: str) -> Iterator[Database]:
    db = open_database(Settings(database_url=url))
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def database(cli: Cli):  # type: ignore[no-untyped-def]
    """`with database() as db:` opens what a command wrote (default: the test's database),
    the way the server opens it, to check the state the command left behind."""
    return lambda url=None: _opened(url or cli.database_url)


@pytest.fixture
def initialized(database) -> str:  # type: ignore[no-untyped-def]
    """What `itg init` leaves behind (company a000001, user integrador with every route), made
    in-process to spare a subprocess; returns integrador's password. `itg init` itself is
    tested as a subprocess."""
    with database() as db:
        upgrade_schema(db)
        created = tenants.bootstrap(db, "a000001", "Company", "integrador", all_routes())
    assert created is not None
    return created[2]


def finished_process(db: Database, database_url: str) -> tuple[Company, StoredRequest]:
    """One cost center request of the database's only company, applied by a worker to `done`:
    a finished process for the commands that read or remove them."""
    (company,) = tenants.list_companies(db)
    accepted = accept_request(
        db,
        company_id=company.id,
        company_code=company.code,
        route="costcenter",
        payload=b'[{"codigo":"C1","nome":"Centro 1"}]',
        total=1,
        validity_seconds=900,
    )
    assert isinstance(accepted, StoredRequest)
    assert Worker(db, Settings(database_url=database_url)).run_once()
    return company, accepted
