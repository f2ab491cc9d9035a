"""Real `itg` processes: `itg init` in a temporary directory, then `itg serve` on a free port.

`serve()` starts a server on the test's database (again after a stop, for restarts); every
server still running at the end of the test is stopped with SIGTERM and must exit in time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 20.0
EXIT_SECONDS = 10.0
ITG = Path(sys.executable).with_name("itg")  # the installed console script of this venv


@dataclass(frozen=True)
class Credentials:
    company: str
    username: str
    password: str


@dataclass
class Server:
    """One running `itg serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    credentials: Credentials

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self) -> httpx.Client:
        """An HTTP client for this server, authenticated as the service user."""
        auth = httpx.BasicAuth(self.credentials.username, self.credentials.password)
        return httpx.Client(base_url=self.base_url, auth=auth, timeout=10.0)

    def stop(self, sig: int = signal.SIGTERM, within: float = EXIT_SECONDS) -> tuple[int, float]:
        """Send `sig` and wait for the exit; returns (exit status, seconds it took).

        SIGKILL is the last resort, and then the test fails: the server did not stop in time.
        """
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=EXIT_SECONDS)
            pytest.fail(f"itg serve did not exit within {within} s of {sig!r}:\n{self.log}")
        return status, time.monotonic() - started

    def stop_cleanly(self) -> None:
        """SIGTERM: the server must exit with status 0 within EXIT_SECONDS, having logged no
        traceback."""
        status, seconds = self.stop()
        assert status == 0, f"itg serve exited with {status} after SIGTERM:\n{self.log}"
        assert seconds < EXIT_SECONDS
        assert "Traceback" not in self.log, self.log


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def itg_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every itg process of the test: no inherited ITG_* setting, its own
    SQLite file in tmp_path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ITG_")}
    env["ITG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'itg.db'}"
    return env


@pytest.fixture
def credentials(tmp_path: Path, itg_env: dict[str, str]) -> Credentials:
    """`itg init --json` on the empty database: the first company and its service user."""
    assert ITG.is_file(), f"the itg console script is not installed at {ITG}"
    done = subprocess.run(
        [str(ITG), "init", "--json"],
        cwd=tmp_path,
        env=itg_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    body = json.loads(done.stdout)
    return Credentials(body["company"], body["username"], body["password"])


@pytest.fixture
def serve(
    tmp_path: Path, itg_env: dict[str, str], credentials: Credentials
) -> Iterator[Callable[[], Server]]:
    started: list[Server] = []

    def start() -> Server:
        port = free_port()
        log_path = tmp_path / f"serve-{len(started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(ITG), "serve", "--port", str(port), "--workers", "1"],
                cwd=tmp_path,
                env=itg_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log_path, credentials)
        started.append(server)
        wait_until_healthy(server)
        return server

    yield start

    try:
        for server in started:
            if server.process.poll() is None:
                server.stop_cleanly()
    finally:  # a failed stop leaks no process
        for server in started:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait(timeout=EXIT_SECONDS)


def wait_until_healthy(server: Server) -> None:
    """Poll GET /healthz until it answers 200 (bounded), failing with the server's log."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"itg serve exited with {server.process.returncode}:\n{server.log}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"itg serve did not answer /healthz within {STARTUP_SECONDS} s:\n{server.log}")


@pytest.fixture
def server(serve: Callable[[], Server]) -> Server:
    """One running server on a freshly initialised database."""
    return serve()
