"""Fixtures of the client tests: a real `itg serve` (tests/processes.py), a Client for
it, the requests it stored (read straight from its SQLite file), the `itg` command as a
subprocess, and scripted stubs for what the real server never does."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from client_stub import Stub

from itg.client import Client
from tests import processes
from tests.processes import ITG, Server, free_port

# The real-process fixtures: `itg init` + `itg serve` on a free port.
itg_env = processes.itg_env
credentials = processes.credentials
serve = processes.serve
server = processes.server

CLI_SECONDS = 60


@dataclass(frozen=True)
class Stored:
    subunique: str
    route: str
    total: int
    payload: bytes

    @property
    def records(self) -> list[dict[str, object]]:
        return orjson.loads(self.payload)


@pytest.fixture
def itg_client(server: Server) -> Iterator[Client]:
    creds = server.credentials
    with Client(server.base_url, creds.username, creds.password, poll_interval=0.1) as client:
        yield client


@pytest.fixture
def stored(tmp_path: Path) -> Callable[[], list[Stored]]:
    """The requests the server stored, in acceptance order."""

    def read() -> list[Stored]:
        with sqlite3.connect(tmp_path / "itg.db") as conn:
            rows = conn.execute(
                "SELECT subunique, route, total, payload FROM requests"
                " JOIN request_payloads ON request_payloads.request_id = requests.id"
                " ORDER BY id"
            ).fetchall()
        return [Stored(*row) for row in rows]

    return read


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str


def runner(cwd: Path, base: dict[str, str]) -> Callable[..., Run]:
    """`run(*args, env=…, stdin_file=…)`: `itg ARGS…` as a subprocess in `cwd` with the
    environment `base` (`env` overrides it; a None value removes a variable)."""

    def run(
        *args: str, env: dict[str, str | None] | None = None, stdin_file: Path | None = None
    ) -> Run:
        merged = {**base, **(env or {})}
        stdin = stdin_file.read_bytes().decode("utf-8") if stdin_file else None
        done = subprocess.run(
            [str(ITG), *args],
            input=stdin,
            cwd=cwd,
            env={key: value for key, value in merged.items() if value is not None},
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=CLI_SECONDS,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def itg_for(tmp_path: Path, itg_env: dict[str, str]) -> Callable[[Server], Callable[..., Run]]:
    """`itg_for(server)`: the `itg` command with ITG_URL/ITG_USERNAME/ITG_PASSWORD of it."""

    def for_server(server: Server) -> Callable[..., Run]:
        creds = server.credentials
        env = {"ITG_URL": server.base_url, "ITG_USERNAME": creds.username}
        return runner(tmp_path, {**itg_env, **env, "ITG_PASSWORD": creds.password})

    return for_server


@pytest.fixture
def itg(itg_for: Callable[[Server], Callable[..., Run]], server: Server) -> Callable[..., Run]:
    """The `itg` command with ITG_URL/ITG_USERNAME/ITG_PASSWORD of a running server."""
    return itg_for(server)


@pytest.fixture
def itg_offline(tmp_path: Path, itg_env: dict[str, str]) -> Callable[..., Run]:
    """The `itg` command with ITG_URL on a port where nothing listens, for the failures that
    need no server (a request would fail with a connection error)."""
    env = {"ITG_URL": f"http://127.0.0.1:{free_port()}", "ITG_USERNAME": "integrador"}
    return runner(tmp_path, {**itg_env, **env, "ITG_PASSWORD": "unused"})


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    """`stub(reply, …)` starts a scripted stub server; all are stopped after the test."""
    started: list[Stub] = []

    def start(*script: bytes | str) -> Stub:
        started.append(Stub(*script))
        return started[-1]

    yield start
    for each in started:
        each.stop()
