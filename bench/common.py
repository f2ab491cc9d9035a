"""What every figure needs: the row of the summary, subprocess servers on free ports started
with exactly the settings the bench states, fresh databases, test records, percentiles, RSS.

Servers are real processes (like production), each on a fresh database in a temporary
directory; they are always stopped and the directory removed, also when a figure fails.
Every process the bench starts (itg, workers, baselines, the CLI) gets an environment built
from scratch, `bench_env`: PATH, HOME and LANG from the caller, plus the ITG_* variables the
figure names, nothing else. An `ITG_SQLITE_SYNCHRONOUS=NORMAL` in the caller's shell must not
make itg look faster than the settings the figure states.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from bench.targets import Target

if TYPE_CHECKING:
    from itg.storage.database import Database

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ITG = Path(PYTHON).with_name("itg")  # the console script, as an operator runs it
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# The only variables any process of the bench inherits from the caller.
PASSED_THROUGH = ("PATH", "HOME", "LANG")
NAN = float("nan")
POLL_S = 0.005  # how often the bench looks for final requests in the database


@dataclass(frozen=True)
class Figure:
    """One row of the summary: itg's number, the baseline's, judged by a SPEC 6.1 row.

    `broken` says why the work the figure times did not (all) happen: such a figure shows no
    number, only the reason, and makes `python -m bench` exit 1.
    """

    name: str
    unit: str
    itg: float
    baseline: float
    target: Target | None = None  # None: printed for information, no row in SPEC 6.1
    broken: str | None = None

    @property
    def ratio(self) -> float:
        return self.itg / self.baseline if self.baseline and not self.broken else NAN

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.broken is None and self.target.holds(self.itg, self.baseline)

    @property
    def judged(self) -> str:
        """The ratio (or the growth) the target is about, as printed."""
        if self.broken:
            return "-"
        if self.target is None:
            return f"{self.ratio:.2f}×" if self.baseline else "-"
        return self.target.judged(self.itg, self.baseline)


def figure(
    name: str,
    unit: str,
    itg: float,
    baseline: float,
    target: Target | None = None,
    problems: Sequence[str] = (),
) -> Figure:
    """A Figure; with `problems` (what did not happen), a broken one without numbers."""
    if problems:
        return Figure(name, unit, NAN, NAN, target, "; ".join(problems))
    return Figure(name, unit, itg, baseline, target)


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def show(f: Figure) -> None:
    """One figure beside its baseline, as soon as it is known (the summary repeats it)."""
    target = "" if f.target is None else f"target {f.target.text}: {'met' if f.met else 'NOT met'}"
    if f.broken:
        print(f"  {f.name:<44} BROKEN, no figure: {f.broken}", flush=True)
        return
    print(
        f"  {f.name:<44} itg {f.itg:>10.1f} {f.unit:<6} baseline {f.baseline:>10.1f} {f.unit:<6}"
        f" {f.judged:>9}  {target}".rstrip(),
        flush=True,
    )


def unfinished(reports: Sequence[Mapping[str, Any]], expected_total: int) -> list[str]:
    """What keeps `reports` (GET /process answers) from being all records applied: each must
    be `done` (every record succeeded) with progress done == total == `expected_total`."""
    seen: dict[str, int] = {}
    for report in reports:
        progress = report.get("progress") or {}
        state = f"{report.get('status')} {progress.get('done')}/{progress.get('total')}"
        seen[state] = seen.get(state, 0) + 1
    wanted = f"done {expected_total}/{expected_total}"
    if set(seen) == {wanted}:
        return []
    counts = ", ".join(f"{n} x {state}" for state, n in sorted(seen.items()))
    return [f"not every request ended {wanted}: {counts or 'no request'}"]


# --- processes -----------------------------------------------------------------------------


def bench_env(**settings: str) -> dict[str, str]:
    """The whole environment of a process the bench starts: PATH/HOME/LANG plus `settings`
    (ITG_* names), so every other setting is itg's default."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return {**env, **settings}


def free_port() -> int:
    """A port the kernel just handed out; tiny race with other programs, fine for a bench."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory on the real disk (fsync must cost what it costs), always removed."""
    with tempfile.TemporaryDirectory(prefix="itg-bench-") as name:
        yield Path(name)


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def serve(
    argv: Sequence[str], port: int, log: Path, env: dict[str, str], ready: Callable[[str], bool]
) -> Iterator[Server]:
    """Start `argv` (a server listening on `port`) with exactly `env`, wait until `ready(url)`,
    and stop it on exit: SIGTERM first (graceful, as an operator would), SIGKILL if it hangs."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(argv),
            cwd=REPO_ROOT,  # so `-m bench.baseline_*` and `-m itg` resolve to this checkout
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://{HOST}:{port}"
    try:
        _wait_ready(process, url, log, ready)
        yield Server(process, url, log)
    finally:
        _stop(process)


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, log: Path, ready: Callable[[str], bool]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        if ready(url):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server at {url} not ready in {START_TIMEOUT_S:.0f}s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- itg -------------------------------------------------------------------------------------


def basic_headers(username: str, password: str) -> dict[str, str]:
    """Authorization (+ Accept-Version, Content-Type), built once and sent as-is."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {
        "Authorization": f"Basic {token}",
        "Accept-Version": "v2",
        "Content-Type": "application/json",
    }


@dataclass(frozen=True)
class Itg:
    """A fresh itg database and the credentials `itg init` printed for it."""

    database_url: str
    company: str
    username: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return basic_headers(self.username, self.password)


def init_itg(directory: Path) -> Itg:
    """`itg init --json` on a new SQLite file: schema, company a000001, user `integrador`."""
    url = f"sqlite:///{directory / 'itg.db'}"
    done = subprocess.run(
        [PYTHON, "-m", "itg", "init", "--json"],
        cwd=REPO_ROOT,
        env=bench_env(ITG_DATABASE_URL=url),
        capture_output=True,
        check=True,
        timeout=60,
    )
    created = json.loads(done.stdout)
    return Itg(url, created["company"], created["username"], created["password"])


@contextmanager
def serve_itg(
    directory: Path,
    database_url: str,
    *,
    workers: int,
    name: str = "itg-serve",
    settings: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """`itg serve --workers N` as an operator runs it, on `database_url` with `settings` (ITG_*)
    and every other setting its default; ready once /healthz answers 200. `--workers 0` keeps
    the API alone on its core. A traceback in its log is reported when it stops."""
    port = free_port()
    argv = [PYTHON, "-m", "itg", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers)]
    env = bench_env(ITG_DATABASE_URL=database_url, **(settings or {}))
    log = directory / f"{name}.log"
    try:
        with serve(argv, port, log, env, _healthy) as server:
            yield server
    finally:
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            print(f"  note: {name}: the server logged a traceback ({log.name})", flush=True)


@contextmanager
def serve_module(directory: Path, module: str, *args: str) -> Iterator[Server]:
    """A baseline from this folder, run as `python -m bench.<module> --port P ...`."""
    port = free_port()
    argv = [PYTHON, "-m", f"bench.{module}", "--port", str(port), *args]
    with serve(argv, port, directory / f"{module}.log", bench_env(), _listening) as server:
        yield server


@contextmanager
def postgres_cluster() -> Iterator[Callable[[str], str] | None]:
    """A function creating a database on a throwaway cluster (tests/pg_cluster.py, fsync off)
    and naming its URL, or None when PostgreSQL is not installed here."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.pg_cluster import PostgresUnavailable, start_cluster

    try:
        cluster = start_cluster()
    except PostgresUnavailable:
        yield None
        return
    try:
        import psycopg

        def make_url(name: str) -> str:
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return cluster.url(name)

        yield make_url
    finally:
        cluster.stop()


def drain_queue(database_url: str) -> tuple[float, int]:
    """Apply every queued request with one in-process Worker; (seconds, requests claimed).

    In-process so the timing holds the worker's own work only (no polling interval, no
    process start); its settings are the defaults but for the database, like `bench_env`'s.
    Imported late so `python -m bench accept` never needs the worker code.
    """
    from itg.settings import Settings
    from itg.storage.database import open_database
    from itg.worker import Worker

    settings = Settings(database_url=database_url)
    db = open_database(settings)
    try:
        worker = Worker(db, settings)
        claimed = 0
        started = time.perf_counter()
        while worker.run_once():
            claimed += 1
        return time.perf_counter() - started, claimed
    finally:
        db.dispose()


def wait_all_final(db: Database, expected: int, timeout: float = 300.0) -> float:
    """Poll the `requests` table (a cheap read by this process, which takes nothing from the
    server's CPU time the way an HTTP poll would) until `expected` requests are final
    (finished_at set); the time.perf_counter() at which that was seen."""
    from sqlalchemy import func, select

    from itg.storage.schema import requests

    query = select(func.count()).where(requests.c.finished_at.is_not(None))
    deadline = time.monotonic() + timeout
    final = 0
    while time.monotonic() < deadline:
        with db.read() as conn:
            final = conn.execute(query).scalar_one()
        if final >= expected:
            return time.perf_counter()
        time.sleep(POLL_S)
    raise RuntimeError(f"{final} of {expected} requests final after {timeout:.0f}s")


def reports(
    client: httpx.Client, url: str, headers: dict[str, str], subuniques: Sequence[str]
) -> list[dict[str, Any]]:
    """GET /process of each subunique, as a client sees it."""
    return [
        client.get(f"{url}/process", params={"subunique": s}, headers=headers).json()
        for s in subuniques
    ]


def list_processes(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every process of the company, through GET /processes (SPEC 1.7), all pages."""
    found: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": 500}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        while True:
            page = client.get("/processes", params=params)
            page.raise_for_status()
            body = page.json()
            found += body["processes"]
            if not body["next_cursor"]:
                return found
            params["cursor"] = body["next_cursor"]


# --- records ---------------------------------------------------------------------------------


def cpf(n: int) -> str:
    """The n-th valid CPF: a 9-digit base (never all equal digits) plus both check digits."""
    digits = f"{100_000_000 + n:09d}"
    for weights_from in (10, 11):
        total = sum(int(d) * w for d, w in zip(digits, range(weights_from, 1, -1), strict=True))
        remainder = total % 11
        digits += "0" if remainder < 2 else str(11 - remainder)
    return digits


def pis(n: int) -> str:
    """The n-th valid PIS/PASEP: a 10-digit base plus its mod-11 check digit."""
    digits = f"{1_200_000_000 + n:010d}"
    total = sum(int(d) * w for d, w in zip(digits, (3, 2, 9, 8, 7, 6, 5, 4, 3, 2), strict=True))
    check = 11 - total % 11
    return digits + str(0 if check >= 10 else check)


def person(n: int) -> dict[str, object]:
    """A valid, insertable person, unique in matrícula, CPF, PIS and e-mail for each n.

    The optional text fields bring a record to ~330 bytes, the size SPEC 6.1 assumes
    (1000 records ≈ 330 KB); none of them references a catalog, so every record can succeed.
    """
    return {
        "matricula": f"BENCH{n:07d}",
        "nome": f"Pessoa de Desempenho {n:07d} da Silva Santos",
        "nome_registro": f"Pessoa {n:07d}",
        "sem_pis": False,
        "pis": pis(n),
        "cpf": cpf(n),
        "email": f"pessoa.{n:07d}@example.com",
        "matricula_esocial": f"ESOCIAL-{n:07d}",
        "cargo": "Analista de Integração de Sistemas — Pleno",
        "dataAdmissao": "01/02/2024",
    }


def people_body(first: int, count: int, *, faulty_every: int = 0) -> bytes:
    """A POST /people body of people first..first+count-1.

    With `faulty_every` = k, every k-th record gets a wrong CPF check digit, and the record two
    places later repeats the e-mail of the (valid, already applied) one between them: the
    process finishes as `warning` with ~2/k failed records.
    """
    records = [person(first + i) for i in range(count)]
    if faulty_every:
        for i in range(0, count - 2, faulty_every):
            wrong_digit = (int(str(records[i]["cpf"])[-1]) + 1) % 10
            records[i]["cpf"] = f"{str(records[i]['cpf'])[:10]}{wrong_digit}"
            records[i + 2]["email"] = records[i + 1]["email"]
    return orjson.dumps(records)


# --- measures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): an observed value, never an interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc/<pid>/status (VmRSS is in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")
