"""Figure `startup`: wall time of `itg --help` and `itg status SUBUNIQUE` (SPEC 6.1
"start-up"), against `python -c "import httpx"` (the least a Python HTTP client can do).

Each command is the venv's `itg` console script, as an operator runs it, with the environment
built from scratch (bench/common.py `bench_env`). `itg status` runs against a real, idle
`itg serve --workers 1` on a fresh SQLite file and asks for a finished 1-record request that
exists, so each run does the whole job: start, one authenticated HTTP round trip, print the
summary, exit 0. The baseline runs on the same interpreter.

Like hyperfine: WARMUP unmeasured runs of each command (the page cache fills, .pyc files are
written), then RUNS measured ones; the figure is the median. The commands take turns, so a
load change on a shared machine hits all three alike. A run that exits with a status other
than 0 (or prints nothing) makes the figure broken.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence

import httpx
import orjson

from bench.common import (
    ITG,
    PYTHON,
    REPO_ROOT,
    Figure,
    banner,
    bench_env,
    figure,
    init_itg,
    scratch_dir,
    serve_itg,
    show,
)
from bench.targets import TARGETS

RUNS = 10
WARMUP = 2
TIMEOUT_S = 60.0
WAIT_S = 60.0
ONE_COST_CENTER = orjson.dumps([{"codigo": "CC1", "nome": "Centro de custo"}])


class Command:
    """One command line, its environment, and what its runs took (seconds)."""

    def __init__(self, label: str, argv: Sequence[str], env: dict[str, str], expect: str):
        self.label, self.argv, self.env, self.expect = label, list(argv), env, expect
        self.times: list[float] = []
        self.problems: list[str] = []

    def run(self, measured: bool) -> None:
        started = time.perf_counter()
        done = subprocess.run(
            self.argv, cwd=REPO_ROOT, env=self.env, capture_output=True, timeout=TIMEOUT_S
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0 or self.expect.encode() not in done.stdout:
            self.problems.append(
                f"{self.label} exited {done.returncode}:"
                f" {(done.stderr or done.stdout).decode(errors='replace').strip()[:200]}"
            )
        elif measured:
            self.times.append(elapsed)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else float("nan")


def _finished_request(url: str, headers: dict[str, str]) -> str:
    """POST one cost center and wait until it is final; its subunique."""
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        answer = client.post("/costcenter", content=ONE_COST_CENTER)
        answer.raise_for_status()
        subunique: str = answer.json()["subunique"]
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            report = client.get("/process", params={"subunique": subunique}).json()
            if report["status"] == "done":
                return subunique
            time.sleep(0.05)
    raise RuntimeError(f"the request {subunique} was not done after {WAIT_S:.0f}s")


def run() -> list[Figure]:
    banner(f"startup: itg --help, itg status vs python -c 'import httpx', median of {RUNS}")
    if not ITG.exists():
        raise RuntimeError(f"no console script {ITG}: install the package (make)")
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg.database_url, workers=1) as server:
            subunique = _finished_request(server.url, itg.headers)
            client_env = bench_env(
                ITG_URL=server.url, ITG_USERNAME=itg.username, ITG_PASSWORD=itg.password
            )
            baseline = Command("import httpx", [PYTHON, "-c", "import httpx"], bench_env(), "")
            commands = [
                baseline,
                Command("itg --help", [str(ITG), "--help"], bench_env(), "Usage"),
                Command("itg status", [str(ITG), "status", subunique], client_env, subunique),
            ]
            for n in range(WARMUP + RUNS):
                for command in commands:
                    command.run(measured=n >= WARMUP)
    for command in commands:
        spread = (
            f"min {min(command.times) * 1000:.0f} ms, max {max(command.times) * 1000:.0f} ms"
            if command.times
            else "no run succeeded"
        )
        print(f"  {command.label:<14} median {command.median_ms:6.0f} ms ({spread})", flush=True)
    figures = [
        figure(
            f"startup {command.label}",
            "ms",
            command.median_ms,
            baseline.median_ms,
            TARGETS["startup"],
            command.problems + baseline.problems,
        )
        for command in commands[1:]
    ]
    for f in figures:
        show(f)
    return figures
