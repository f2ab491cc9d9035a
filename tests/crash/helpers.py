"""What the crash tests share: record builders, the worker's log lines, and `Itg`, the real
processes (`python -m itg serve|worker`) of one test on its own database; given `faults`, a
process runs under tests/crash/faulty_itg.py, the same CLI with those faults in its workers.

Reads of the outcome go straight to the tables (the requests table is the queue) through
itg's own schema, so a test sees exactly what was committed. The fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from itg.permissions import all_routes
from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database, open_database
from itg.storage.schema import (
    FINAL_STATUSES,
    companies,
    cost_centers,
    people,
    record_errors,
    request_payloads,
    requests,
)
from tests.crash.faulty_itg import FaultHooks
from tests.e2e.conftest import (
    EXIT_SECONDS,
    Credentials,
    Server,
    free_port,
    wait_until_healthy,
)

Record = dict[str, Any]

# The project root: `python -m tests.crash.faulty_itg` must find `tests` from the test's
# working directory.
ROOT = Path(__file__).resolve().parents[2]

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# For the tests the SPEC states for PostgreSQL only: `@POSTGRES_ONLY` on the test.
POSTGRES_ONLY = pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

ADMISSION = "01/02/2024"
BAD_ADMISSION = "31/02/2024"  # fails with exactly ["Data de admissão inválida"]
ACCEPTED_PEOPLE = "People Integration on progress"
ACCEPTED_COST_CENTERS = "Cost center's Integration on progress"

# The lines itg/worker.py logs when it claims a request and when its claim ends.
_LOG_TIME = r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"
CLAIMED = re.compile(
    _LOG_TIME + r" INFO itg\.worker: request (?P<request>\d+) \(company (?P<company>\w+)\) "
    r"attempt (?P<attempt>\d+) claimed at (?P<done>\d+)/(?P<total>\d+)$",
    re.MULTILINE,
)
FINISHED = re.compile(
    _LOG_TIME + r" INFO itg\.worker: request (?P<request>\d+) attempt (?P<attempt>\d+) finished$",
    re.MULTILINE,
)
RELEASED = re.compile(
    _LOG_TIME + r" INFO itg\.worker: request (?P<request>\d+) attempt (?P<attempt>\d+) "
    r"released at (?P<done>\d+)/(?P<total>\d+)$",
    re.MULTILINE,
)
LEASE_LOST = re.compile(r"WARNING itg\.worker: request (?P<request>\d+): lease lost")


# -- records --------------------------------------------------------------------------------


def person(matricula: str, **fields: Any) -> Record:
    """A valid new person (no PIS needed); `fields` add or override."""
    return {
        "matricula": matricula,
        "nome": f"Pessoa {matricula}",
        "sem_pis": True,
        "dataAdmissao": ADMISSION,
        **fields,
    }


def invalid_person(matricula: str) -> Record:
    """A person that fails with exactly `Data de admissão inválida`."""
    return person(matricula, dataAdmissao=BAD_ADMISSION)


def body(records: Sequence[Record]) -> bytes:
    return json.dumps(list(records), ensure_ascii=False).encode()


def post(
    client: httpx.Client, route: str, records: Sequence[Record], message: str
) -> dict[str, str]:
    """POST a write request that must be accepted; returns its 200 body."""
    response = client.post(f"/{route}", content=body(records))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ["company", "unique", "subunique", "message"], answer
    assert answer["message"] == message
    return answer


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(interval)


# -- processes ------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """One running `itg worker` process and its log."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def claims(self) -> list[re.Match[str]]:
        return list(CLAIMED.finditer(self.log))

    def wait_started(self, timeout: float = 20.0) -> None:
        def started() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"itg worker exited with {self.process.returncode}:\n{self.log}")
            return "worker(s) started" in self.log

        wait_until(started, timeout, f"itg worker {self.pid} started")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is released (a crash)."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=EXIT_SECONDS)

    def stop(self, sig: int = signal.SIGTERM, within: float = EXIT_SECONDS) -> tuple[int, float]:
        """Send `sig` and wait for the exit; returns (exit status, seconds it took)."""
        started = time.monotonic()
        os.kill(self.pid, sig)
        try:
            status = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=EXIT_SECONDS)
            pytest.fail(f"itg worker did not exit within {within} s of {sig!r}:\n{self.log}")
        return status, time.monotonic() - started

    def stop_cleanly(self) -> None:
        status, seconds = self.stop()
        assert (status, "Traceback" in self.log) == (0, False), self.log
        assert seconds < EXIT_SECONDS


@dataclass
class Itg:
    """The itg installation of one test: a working directory, a database, its processes."""

    engine: str
    database_url: str
    workdir: Path
    credentials: Credentials = field(init=False)
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _db: Database | None = None
    _logs: int = 0

    def env(self, **settings: object) -> dict[str, str]:
        """The environment of an itg process: no inherited ITG_* variable, this test's
        database, a short poll; `settings` become ITG_<NAME> (lease_seconds=2 →
        ITG_LEASE_SECONDS=2)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("ITG_")}
        env["ITG_DATABASE_URL"] = self.database_url
        env["ITG_POLL_SECONDS"] = "0.05"
        env.update({f"ITG_{name.upper()}": str(value) for name, value in settings.items()})
        return env

    def run(self, *args: str) -> str:
        """A one-shot `python -m itg` command that must succeed; returns its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "itg", *args],
            cwd=self.workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stderr) == (0, ""), done
        return done.stdout

    def init(self) -> None:
        answer = json.loads(self.run("init", "--json"))
        self.credentials = Credentials(answer["company"], answer["username"], answer["password"])

    def _spawn(
        self, name: str, args: Sequence[str], env: dict[str, str], faults: FaultHooks | None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self._logs += 1
        log_path = self.workdir / f"{self._logs:02d}-{name}.log"
        command = [sys.executable, "-m", "itg", *args]
        if faults is not None:
            launcher = [sys.executable, "-m", "tests.crash.faulty_itg", *faults.options(), "--"]
            command = [*launcher, *args]
            path = [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
            env = {**env, "PYTHONPATH": os.pathsep.join(path)}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._processes.append(process)
        return process, log_path

    def serve(
        self, *, workers: int, faults: FaultHooks | None = None, **settings: object
    ) -> Server:
        """`itg serve --workers N` on a free port of 127.0.0.1, answering /healthz."""
        port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        process, log_path = self._spawn("serve", args, self.env(**settings), faults)
        server = Server(process, f"http://127.0.0.1:{port}", log_path, self.credentials)
        wait_until_healthy(server)
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
        **settings: object,
    ) -> list[WorkerProcess]:
        """`count` worker processes started together, all running when this returns."""
        args = ["worker", "--concurrency", str(concurrency)]
        started = [
            WorkerProcess(*self._spawn("worker", args, self.env(**settings), faults))
            for _ in range(count)
        ]
        for worker in started:
            worker.wait_started()
        return started

    def company(self, code: str) -> Credentials:
        """Another company with an all-routes service user (set-up, through the library)."""
        tenants.create_company(self.db, code, f"Company {code}")
        user, password = tenants.create_service_user(self.db, f"user-{code}", code, all_routes())
        return Credentials(code, user.username, password)

    @staticmethod
    def client(server: Server, credentials: Credentials) -> httpx.Client:
        auth = httpx.BasicAuth(credentials.username, credentials.password)
        return httpx.Client(base_url=server.base_url, auth=auth, timeout=10.0)

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
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def cost_centers(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(companies.c.code, cost_centers.c.codigo).join(
                    companies, companies.c.id == cost_centers.c.company_id
                )
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def all_final(self) -> bool:
        return all(row["status"] in FINAL_STATUSES for row in self.requests())

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
            if process.poll() is None:
                process.kill()
                process.wait(timeout=EXIT_SECONDS)
        if self._db is not None:
            self._db.dispose()
