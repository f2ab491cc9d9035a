"""What every figure needs: subprocess servers on free ports, fresh databases, test records,
percentiles, RSS, and the row of the summary table.

Servers are real processes (like production), each on a fresh SQLite file in a temporary
directory; they are always stopped and the directory removed, also when a figure fails.
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Figure:
    """One row of the summary: itg's number, the baseline's, and whether the target holds."""

    name: str
    unit: str
    itg: float
    baseline: float
    target: str
    met: bool | None  # None: printed for information, no target in SPEC 6.1

    @property
    def ratio(self) -> float:
        return self.itg / self.baseline if self.baseline else float("nan")


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def show(label: str, itg: float, baseline: float, unit: str, target: str = "") -> None:
    """One figure beside its baseline, as soon as it is known (the summary repeats it)."""
    ratio = itg / baseline if baseline else float("nan")
    print(
        f"  {label:<28} itg {itg:>10.1f} {unit:<10} baseline {baseline:>10.1f} {unit:<10}"
        f" ratio {ratio:5.2f}  {target}",
        flush=True,
    )


# --- processes -----------------------------------------------------------------------------


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
    argv: Sequence[str], port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start `argv` (a server listening on `port`), wait until it accepts connections, and stop
    it on exit: SIGTERM first (graceful, as an operator would), SIGKILL if it hangs."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(argv),
            cwd=REPO_ROOT,  # so `-m bench.baseline_*` resolves to this checkout
            env={**os.environ, **(env or {})},
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_listening(process, port, log)
        yield Server(process, f"http://{HOST}:{port}", log)
    finally:
        _stop(process)


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} in {START_TIMEOUT_S:.0f}s")


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


@dataclass(frozen=True)
class Itg:
    """A fresh itg database and the credentials `itg init` printed for it."""

    database_url: str
    company: str
    headers: dict[str, str]  # Authorization (+ Accept-Version), built once, sent as-is


def init_itg(directory: Path) -> Itg:
    """`itg init --json` on a new SQLite file: schema, company a000001, user `integrador`."""
    url = f"sqlite:///{directory / 'itg.db'}"
    done = subprocess.run(
        [PYTHON, "-m", "itg", "init", "--json"],
        env={**os.environ, "ITG_DATABASE_URL": url},
        capture_output=True,
        check=True,
        timeout=60,
    )
    created = json.loads(done.stdout)
    token = base64.b64encode(f"{created['username']}:{created['password']}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept-Version": "v2"}
    return Itg(url, created["company"], headers)


@contextmanager
def serve_itg(directory: Path, itg: Itg, *, workers: int = 0) -> Iterator[Server]:
    """`itg serve` as an operator runs it; `--workers 0` keeps the API alone on its core."""
    port = free_port()
    argv = [PYTHON, "-m", "itg", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers)]
    env = {"ITG_DATABASE_URL": itg.database_url}
    with serve(argv, port, directory / "itg-serve.log", env) as server:
        yield server


@contextmanager
def serve_module(directory: Path, module: str, *args: str) -> Iterator[Server]:
    """A baseline from this folder, run as `python -m bench.<module> --port P ...`."""
    port = free_port()
    argv = [PYTHON, "-m", f"bench.{module}", "--port", str(port), *args]
    with serve(argv, port, directory / f"{module}.log") as server:
        yield server


def drain_queue(database_url: str) -> tuple[float, int]:
    """Apply every queued request with one in-process Worker; (seconds, requests claimed).

    In-process so the timing holds the worker's own work only (no polling interval, no
    process start); imported late so `python -m bench accept` never needs the worker code.
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
