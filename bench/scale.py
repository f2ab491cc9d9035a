"""Figure `scale`: end-to-end people records/s with 1, 2 and 4 `itg worker` processes, on
SQLite and on PostgreSQL (SPEC 6.1 "scale-out": PostgreSQL, 2 worker processes vs 1).

10 requests x 1000 valid people, one request per company (requests of ONE company are applied
strictly in order, so only distinct companies can use more than one worker). The workers are
started first and left idle (environment from scratch: ITG_DATABASE_URL and
ITG_POLL_SECONDS=0.02, so none sleeps through the start; every other setting its default);
the requests are then accepted in-process through `itg.storage.intake.accept_request`, and
the clock runs from the first accept to the last final status, polled in the database.
PostgreSQL is a throwaway cluster (tests/pg_cluster.py) with fsync off, so its figures
compare scaling, not durability costs; SQLite runs with the defaults (synchronous=FULL).
A run counts only if every request ended `done` with done == total == 1000.

Each run prints its CPU split over the measured interval: seconds spent by the worker
processes and, on PostgreSQL, by the server's processes (its backends), against the wall
time × the machine's cores, so the figure can be judged against what the cores allow.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import (
    PYTHON,
    REPO_ROOT,
    Figure,
    banner,
    bench_env,
    figure,
    people_body,
    postgres_cluster,
    scratch_dir,
    show,
    unfinished,
    wait_all_final,
)
from bench.cpu import postmaster_pid, processes_cpu, tree_cpu
from bench.targets import TARGETS

if TYPE_CHECKING:
    from itg.storage.database import Database

REQUESTS = 10
RECORDS = 1000
WORKER_COUNTS = (1, 2, 4)
POLL_SECONDS = "0.02"


def run() -> list[Figure]:
    banner(f"scale: {REQUESTS} x {RECORDS} people over {REQUESTS} companies, 1/2/4 workers")
    payloads = [people_body(n * RECORDS, RECORDS) for n in range(REQUESTS)]
    rates: dict[tuple[str, int], float] = {}
    problems: dict[tuple[str, int], list[str]] = {}
    with scratch_dir() as directory:
        for workers in WORKER_COUNTS:
            url = f"sqlite:///{directory / f'scale-{workers}.db'}"
            key = ("sqlite", workers)
            rates[key], problems[key] = _measure(url, workers, payloads, directory)
        with postgres_cluster() as make_url:
            if make_url is None:
                print("  postgres: skipped (no initdb/pg_ctl on this machine)", flush=True)
            else:
                for workers in WORKER_COUNTS:
                    key = ("postgres", workers)
                    url = make_url(f"scale_{workers}")
                    rates[key], problems[key] = _measure(url, workers, payloads, directory)
    print("\n  engine    workers   records/s  vs 1 worker", flush=True)
    for (engine, workers), rate in rates.items():
        state = "BROKEN" if problems[engine, workers] else f"{rate:>9,.0f}"
        one = rates[engine, 1]
        print(f"  {engine:<9} {workers:>7}   {state:>9}  {rate / one:>10.2f}×", flush=True)
    if ("postgres", 1) not in rates:
        missing = ["PostgreSQL (initdb/pg_ctl) is not installed here"]
        f = figure("scale postgres 2 vs 1 workers", "rec/s", 0, 0, TARGETS["scale"], missing)
    else:
        f = figure(
            "scale postgres 2 vs 1 workers",
            "rec/s",
            rates["postgres", 2],
            rates["postgres", 1],
            TARGETS["scale"],
            problems["postgres", 2] + problems["postgres", 1],
        )
    show(f)
    return [f]


def _measure(
    url: str, workers: int, payloads: list[bytes], directory: Path
) -> tuple[float, list[str]]:
    """Records/s from the first accept to the last final status; problems found."""
    from itg.settings import Settings
    from itg.storage import tenants
    from itg.storage.database import open_database
    from itg.storage.intake import accept_request
    from itg.storage.migrate import upgrade_schema

    settings = Settings(database_url=url)
    db = open_database(settings)
    try:
        upgrade_schema(db)
        companies = [
            tenants.create_company(db, f"c{n:03d}", f"Company {n}") for n in range(REQUESTS)
        ]
        database_cpu = _database_cpu(db)
        with _workers(url, workers, directory) as pids:
            cpu_before = processes_cpu(pids), database_cpu()
            started = time.perf_counter()
            for company, payload in zip(companies, payloads, strict=True):
                accept_request(
                    db,
                    company_id=company.id,
                    company_code=company.code,
                    route="people",
                    payload=payload,
                    total=RECORDS,
                    validity_seconds=settings.validity_seconds,
                )
            elapsed = wait_all_final(db, REQUESTS) - started
            worker_cpu = processes_cpu(pids) - cpu_before[0]
            server_cpu = database_cpu() - cpu_before[1]
        problems = unfinished(_outcomes(db), RECORDS)
    finally:
        db.dispose()
    rate = REQUESTS * RECORDS / elapsed
    engine = url.split(":")[0]
    print(f"  {engine:<10} {workers} worker(s): {elapsed:6.2f}s  {rate:9,.0f} rec/s", flush=True)
    available = elapsed * (os.cpu_count() or 1)
    print(
        f"  {'':<10} CPU: workers {worker_cpu:5.2f}s, postgres {server_cpu:5.2f}s,"
        f" of {available:5.2f}s ({os.cpu_count()} cores × wall)",
        flush=True,
    )
    for problem in problems:
        print(f"  {engine:<10} {workers} worker(s): BROKEN: {problem}", flush=True)
    return rate, problems


def _outcomes(db: Database) -> list[dict[str, Any]]:
    """Each request's status and progress, shaped like a GET /process answer's."""
    from sqlalchemy import select

    from itg.storage.schema import requests

    with db.read() as conn:
        rows = conn.execute(select(requests.c.status, requests.c.done, requests.c.total)).all()
    return [{"status": s, "progress": {"done": d, "total": t}} for s, d, t in rows]


def _database_cpu(db: Database) -> Callable[[], float]:
    """A reading of the CPU seconds the database server has spent (0 for SQLite, which
    runs inside the workers)."""
    if not db.is_postgres:
        return lambda: 0.0
    from sqlalchemy import text

    with db.read() as conn:
        data_directory = conn.execute(text("SHOW data_directory")).scalar_one()
    postmaster = postmaster_pid(data_directory)
    return lambda: tree_cpu(postmaster)


@contextmanager
def _workers(url: str, count: int, directory: Path) -> Iterator[list[int]]:
    """`count` idle `itg worker` processes, polling often so none sleeps through the start."""
    env = bench_env(ITG_DATABASE_URL=url, ITG_POLL_SECONDS=POLL_SECONDS)
    with ExitStack() as stack:
        processes = []
        for n in range(count):
            log = stack.enter_context((directory / f"worker-{count}-{n}.log").open("wb"))
            processes.append(
                subprocess.Popen(
                    [PYTHON, "-m", "itg", "worker"],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
        try:
            _wait_started(directory, count)
            yield [process.pid for process in processes]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_started(directory: Path, count: int) -> None:
    deadline = time.monotonic() + 30
    logs = [directory / f"worker-{count}-{n}.log" for n in range(count)]
    while time.monotonic() < deadline:
        if all("started" in log.read_text(errors="replace") for log in logs):
            return
        time.sleep(0.05)
    raise RuntimeError("workers did not start in 30s")
