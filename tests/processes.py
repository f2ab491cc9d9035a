"""Real `itg` processes for the tests (tests/e2e, tests/crash, tests/browser, tests/client):
run a command, spawn `itg serve` on a free port and wait until it is healthy, spawn workers,
stop them with a signal within a bound, and kill whatever still runs at the end.

Two ways to set a test up, both on a database of the test's own:
- the fixtures `itg_env`, `credentials`, `serve` and `server`: `itg init` and `itg serve` (the
  installed console script) on a SQLite file in tmp_path; a folder imports them into its
  conftest and may override `itg_env`;
- `Itg` (the `itg` fixture, with `engine` and `database_url` of tests/engines.py): an
  installation on SQLite or PostgreSQL whose `python -m itg serve|worker` processes the test
  starts, optionally with faults (tests/faults.py) through tests/crash/faulty_itg.py, and whose
  tables it reads back.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from itg.outcomes import FINAL_STATUSES
from itg.permissions import all_routes
from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database, open_database
from itg.storage.schema import (
    companies,
    cost_centers,
    people,
    record_errors,
    request_payloads,
    requests,
)
from tests.faults import FaultHooks

Record = dict[str, Any]

STARTUP_SECONDS = 20.0
EXIT_SECONDS = 10.0
ITG = Path(sys.executable).with_name("itg")  # the installed console script of this venv
CONSOLE_SCRIPT = (str(ITG),)
PYTHON_M_ITG = (sys.executable, "-m", "itg")
# The project root: `python -m tests.crash.faulty_itg` must find `tests` from the test's
# working directory.
ROOT = Path(__file__).resolve().parents[1]

# The lines itg/worker.py logs when it claims a request and when its claim ends (in text
# format, with the request id of the POST after the logger's name: itg/logs.py).
_WORKER = r" INFO itg\.worker(?: \[\S+\])?: request "
_LOG_TIME = r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"
CLAIMED = re.compile(
    _LOG_TIME + _WORKER + r"(?P<request>\d+) \(company (?P<company>\w+)\) "
    r"attempt (?P<attempt>\d+) claimed at (?P<done>\d+)/(?P<total>\d+)$",
    re.MULTILINE,
)
FINISHED = re.compile(
    _LOG_TIME + _WORKER + r"(?P<request>\d+) attempt (?P<attempt>\d+) finished$",
    re.MULTILINE,
)
RELEASED = re.compile(
    _LOG_TIME + _WORKER + r"(?P<request>\d+) attempt (?P<attempt>\d+) "
    r"released at (?P<done>\d+)/(?P<total>\d+)$",
    re.MULTILINE,
)
LEASE_LOST = re.compile(r"WARNING itg\.worker(?: \[\S+\])?: request (?P<request>\d+): lease lost")


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str, **settings: object) -> dict[str, str]:
    """The environment of an itg process: no inherited ITG_* variable, the test's database;
    `settings` become ITG_<NAME> (chunk_size=10 → ITG_CHUNK_SIZE=10)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ITG_")}
    env["ITG_DATABASE_URL"] = database_url
    # No drain before a stop (SPEC 1.7) unless a test asks for one: it would add its seconds
    # to every server the suite stops (tests/crash/test_readyz_drain.py sets its own).
    env["ITG_DRAIN_SECONDS"] = "0"
    env.update({f"ITG_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def launch(
    env: dict[str, str], faults: FaultHooks | None, plain: Sequence[str] = PYTHON_M_ITG
) -> tuple[Sequence[str], dict[str, str]]:
    """(launcher, environment) of an itg process: `plain`, or itg under
    tests/crash/faulty_itg.py with `faults` (with `tests` importable from any directory)."""
    if faults is None:
        return plain, env
    launcher = [sys.executable, "-m", "tests.crash.faulty_itg", *faults.options(), "--"]
    path = [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    return launcher, {**env, "PYTHONPATH": os.pathsep.join(path)}


def run_itg(
    *args: str, cwd: Path, env: dict[str, str], launcher: Sequence[str] = CONSOLE_SCRIPT
) -> str:
    """A one-shot itg command that must succeed silently on stderr; its stdout."""
    done = subprocess.run(
        [*launcher, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    return done.stdout


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Credentials:
    """A service user of a real installation (`itg init --json`, `itg user create --json`)."""

    company: str
    username: str
    password: str

    @classmethod
    def of(cls, created: str) -> Credentials:
        """From the JSON an `itg init --json` or `itg user create --json` printed."""
        body = json.loads(created)
        return cls(body["company"], body["username"], body["password"])


# -- processes ------------------------------------------------------------------------------


def spawn(
    command: Sequence[str], *, cwd: Path, env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """Start `command` with stdout and stderr in `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )


@dataclass
class Process:
    """One running itg process and its log."""

    process: subprocess.Popen[bytes]
    log_path: Path
    name: str  # `itg serve`, `itg worker`: for failure messages

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, within: float = EXIT_SECONDS) -> tuple[int, float]:
        """Send `sig` and wait for the exit; returns (exit status, seconds it took).

        SIGKILL is the last resort, and then the test fails: the process did not stop in time.
        """
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.end()
            pytest.fail(f"{self.name} did not exit within {within} s of {sig!r}:\n{self.log}")
        return status, time.monotonic() - started

    def stop_cleanly(self) -> None:
        """SIGTERM: the process must exit with status 0 within EXIT_SECONDS, having logged no
        traceback."""
        status, seconds = self.stop()
        assert status == 0, f"{self.name} exited with {status} after SIGTERM:\n{self.log}"
        assert seconds < EXIT_SECONDS
        assert "Traceback" not in self.log, self.log

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is released (a crash)."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=EXIT_SECONDS)

    def end(self) -> None:
        """Kill the process if it still runs (clean-up: a failed test leaks no process)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=EXIT_SECONDS)


@dataclass
class Server(Process):
    """One running `itg serve` process."""

    base_url: str
    credentials: Credentials

    def client(self, credentials: Credentials | None = None) -> httpx.Client:
        """An HTTP client for this server, authenticated as the service user (or another)."""
        user = credentials or self.credentials
        auth = httpx.BasicAuth(user.username, user.password)
        return httpx.Client(base_url=self.base_url, auth=auth, timeout=10.0)


def start_server(
    launcher: Sequence[str],
    *args: str,
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    credentials: Credentials,
) -> Server:
    """`<launcher> serve --port <free port> <args>`, answering /healthz when this returns (or
    killed, and the test failed with its log)."""
    port = free_port()
    command = [*launcher, "serve", "--port", str(port), *args]
    process = spawn(command, cwd=cwd, env=env, log_path=log_path)
    server = Server(process, log_path, "itg serve", f"http://127.0.0.1:{port}", credentials)
    try:
        wait_until_healthy(server)
    except BaseException:
        server.end()
        raise
    return server


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


@dataclass
class WorkerProcess(Process):
    """One running `itg worker` process."""

    def claims(self) -> list[re.Match[str]]:
        return list(CLAIMED.finditer(self.log))

    def wait_started(self, timeout: float = STARTUP_SECONDS) -> None:
        def started() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"itg worker exited with {self.process.returncode}:\n{self.log}")
            return "worker(s) started" in self.log

        wait_until(started, timeout, f"itg worker {self.pid} started")


# -- `itg init` + `itg serve` on SQLite, through the console script ----------------------------


@pytest.fixture
def itg_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every itg process of the test: its own SQLite file in tmp_path."""
    return environment(f"sqlite:///{tmp_path / 'itg.db'}", metrics_dir=tmp_path / "metrics")


@pytest.fixture
def credentials(tmp_path: Path, itg_env: dict[str, str]) -> Credentials:
    """`itg init --json` on the empty database: the first company and its service user."""
    assert ITG.is_file(), f"the itg console script is not installed at {ITG}"
    return Credentials.of(run_itg("init", "--json", cwd=tmp_path, env=itg_env))


@pytest.fixture
def serve(
    tmp_path: Path, itg_env: dict[str, str], credentials: Credentials
) -> Iterator[Callable[[], Server]]:
    """`serve()`: `itg serve --workers 1` on the test's database (again after a stop, for
    restarts); every server still running at the end must stop cleanly."""
    started: list[Server] = []

    def start() -> Server:
        log_path = tmp_path / f"serve-{len(started)}.log"
        server = start_server(
            CONSOLE_SCRIPT,
            "--workers",
            "1",
            cwd=tmp_path,
            env=itg_env,
            log_path=log_path,
            credentials=credentials,
        )
        started.append(server)
        return server

    yield start

    try:
        for server in started:
            if server.process.poll() is None:
                server.stop_cleanly()
    finally:  # a failed stop leaks no process
        for server in started:
            server.end()


@pytest.fixture
def server(serve: Callable[[], Server]) -> Server:
    """One running server on a freshly initialised database."""
    return serve()


# -- an installation on either engine, its processes started by the test ----------------------


@dataclass
class Itg:
    """The itg installation of one test: a working directory, a database, its processes."""

    engine: str
    database_url: str
    workdir: Path
    credentials: Credentials = field(init=False)
    _processes: list[Process] = field(default_factory=list)
    _db: Database | None = None
    _logs: int = 0

    def env(self, **settings: object) -> dict[str, str]:
        """The environment of an itg process: this test's database, a short poll, and
        `settings` as ITG_<NAME> (lease_seconds=2 → ITG_LEASE_SECONDS=2)."""
        # A metrics directory of the test's own: its scrapes count no other test's processes.
        settings = {"metrics_dir": self.workdir / "metrics", **settings}
        return environment(self.database_url, poll_seconds=0.05, **settings)

    def run(self, *args: str) -> str:
        """A one-shot `python -m itg` command that must succeed; returns its stdout."""
        return run_itg(*args, cwd=self.workdir, env=self.env(), launcher=PYTHON_M_ITG)

    def init(self) -> None:
        self.credentials = Credentials.of(self.run("init", "--json"))

    def _launch(
        self, env: dict[str, str], faults: FaultHooks | None
    ) -> tuple[Sequence[str], dict[str, str]]:
        """`python -m itg`, or itg under tests/crash/faulty_itg.py with `faults`."""
        return launch(env, faults)

    def _log_path(self, name: str) -> Path:
        self._logs += 1
        return self.workdir / f"{self._logs:02d}-{name}.log"

    def serve(
        self, *, workers: int, faults: FaultHooks | None = None, **settings: object
    ) -> Server:
        """`itg serve --workers N` on a free port of 127.0.0.1, answering /healthz."""
        launcher, env = self._launch(self.env(**settings), faults)
        server = start_server(
            [*launcher],
            "--host",
            "127.0.0.1",
            "--workers",
            str(workers),
            cwd=self.workdir,
            env=env,
            log_path=self._log_path("serve"),
            credentials=self.credentials,
        )
        self._processes.append(server)
        return server

    def worker(
        self, *, concurrency: int = 1, faults: FaultHooks | None = None, **settings: object
    ) -> WorkerProcess:
        """`itg worker --concurrency N`, running (its threads started) when this returns."""
        (worker,) = self.workers(1, concurrency=concurrency, faults=faults, **settings)
        return worker

    def workers(
        self,
        count: int,
        *,
        concurrency: int = 1,
        faults: FaultHooks | None = None,
        args: Sequence[str] = (),
        **settings: object,
    ) -> list[WorkerProcess]:
        """`count` worker processes started together, all running when this returns; `args`
        are more options of `itg worker` (`--metrics-port`)."""
        launcher, env = self._launch(self.env(**settings), faults)
        command = [*launcher, "worker", "--concurrency", str(concurrency), *args]
        started = []
        for _ in range(count):
            log_path = self._log_path("worker")
            process = spawn(command, cwd=self.workdir, env=env, log_path=log_path)
            started.append(WorkerProcess(process, log_path, "itg worker"))
        self._processes.extend(started)
        for worker in started:
            worker.wait_started()
        return started

    def company(self, code: str) -> Credentials:
        """Another company with an all-routes service user (set-up, through the library)."""
        tenants.create_company(self.db, code, f"Company {code}")
        user, password = tenants.create_service_user(self.db, f"user-{code}", code, all_routes())
        return Credentials(code, user.username, password)

    # -- reading what was committed -----------------------------------------------------------

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(Settings(database_url=self.database_url))
        return self._db

    def requests(self) -> list[Record]:
        """Every stored request (the queue), in acceptance order, with its company code and
        its payload."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(requests, companies.c.code.label("company"), request_payloads.c.payload)
                .join(companies, companies.c.id == requests.c.company_id)
                .outerjoin(request_payloads)
                .order_by(requests.c.id)
            ).all()
        return [dict(row._mapping) for row in rows]

    def request(self, subunique: str) -> Record:
        (row,) = [row for row in self.requests() if row["subunique"] == subunique]
        return row

    def errors(self) -> list[Record]:
        """Every stored error row, messages decoded, by (request_id, idx)."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(record_errors).order_by(record_errors.c.request_id, record_errors.c.idx)
            ).all()
        return [{**row._mapping, "messages": orjson.loads(row.messages)} for row in rows]

    def people(self) -> list[tuple[str, str, str | None]]:
        """(company, matricula, centro_custo) of every stored person, duplicates kept."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(companies.c.code, people.c.matricula, people.c.centro_custo).join(
                    companies, companies.c.id == people.c.company_id
                )
            ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def cost_centers(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(companies.c.code, cost_centers.c.codigo).join(
                    companies, companies.c.id == cost_centers.c.company_id
                )
            ).all()
        return [(row[0], row[1]) for row in rows]

    def all_final(self) -> bool:
        """Some request is stored and every one is final: an empty queue is not "all final",
        or a wait on it would be over before anything was accepted."""
        rows = self.requests()
        return bool(rows) and all(row["status"] in FINAL_STATUSES for row in rows)

    def wait_all_final(self, timeout: float) -> list[Record]:
        def progress() -> str:
            return ", ".join(
                f"{row['id']}:{row['status']} {row['done']}/{row['total']} a{row['attempt']}"
                for row in self.requests()
            )

        deadline = time.monotonic() + timeout
        while not self.all_final():
            if time.monotonic() > deadline:
                pytest.fail(f"requests not final within {timeout} s: {progress()}")
            time.sleep(0.1)
        return self.requests()

    def close(self) -> None:
        """Kill what still runs (SIGKILL: the database is thrown away) and let go of it."""
        for process in self._processes:
            process.end()
        if self._db is not None:
            self._db.dispose()


@pytest.fixture
def itg(engine: str, database_url: str, tmp_path: Path) -> Iterator[Itg]:
    """`itg init` done on the test's database (tests/engines.py); processes are started by
    the test, and whatever still runs at its end is killed."""
    installation = Itg(engine, database_url, tmp_path)
    try:
        installation.init()
        yield installation
    finally:
        installation.close()
