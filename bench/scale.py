"""Figure `scale`: end-to-end people records/s with 1, 2 and 4 `itg worker` processes, on
SQLite and on PostgreSQL (issue 4; printed, not a SPEC 6.1 target).

10 requests x 1000 valid people, one request per company (requests of ONE company are applied
strictly in order, so only distinct companies can use more than one worker). The workers are
started first and left idle; the clock runs from the first accepted request to the last final
status, polled in the database. PostgreSQL is a throwaway cluster (tests/pg_cluster.py) with
fsync off, so its figures compare scaling, not durability costs; SQLite runs with the
defaults (synchronous=FULL).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.common import PYTHON, REPO_ROOT, Figure, banner, people_body, scratch_dir

REQUESTS = 10
RECORDS = 1000
WORKER_COUNTS = (1, 2, 4)
TIMEOUT_S = 120.0


def run() -> list[Figure]:
    banner(f"scale: {REQUESTS} x {RECORDS} people over {REQUESTS} companies, 1/2/4 workers")
    payloads = [people_body(n * RECORDS, RECORDS) for n in range(REQUESTS)]
    rows: list[tuple[str, int, float]] = []
    with scratch_dir() as directory:
        for workers in WORKER_COUNTS:
            url = f"sqlite:///{directory / f'scale-{workers}.db'}"
            rows.append(("sqlite", workers, _measure(url, workers, payloads, directory)))
        with _postgres() as make_url:
            if make_url is None:
                print("  postgres: skipped (no initdb/pg_ctl on this machine)", flush=True)
            else:
                for workers in WORKER_COUNTS:
                    url = make_url(f"scale_{workers}")
                    rows.append(("postgres", workers, _measure(url, workers, payloads, directory)))
    print("\n  engine    workers   records/s", flush=True)
    for engine, workers, rate in rows:
        print(f"  {engine:<9} {workers:>7}   {rate:>9,.0f}", flush=True)
    return []


def _measure(url: str, workers: int, payloads: list[bytes], directory: Path) -> float:
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
        with _workers(url, workers, directory):
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
            _wait_all_final(db)
            elapsed = time.perf_counter() - started
    finally:
        db.dispose()
    rate = REQUESTS * RECORDS / elapsed
    print(f"  {url.split(':')[0]:<10} {workers} worker(s): {elapsed:6.2f}s  {rate:9,.0f} rec/s")
    return rate


def _wait_all_final(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from itg.storage.schema import FINAL_STATUSES, requests

    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        with db.read() as conn:
            final = conn.execute(
                select(func.count()).where(requests.c.status.in_(FINAL_STATUSES))
            ).scalar_one()
        if final == REQUESTS:
            return
        time.sleep(0.02)
    raise RuntimeError(f"requests not final after {TIMEOUT_S:.0f}s")


@contextmanager
def _workers(url: str, count: int, directory: Path) -> Iterator[None]:
    """`count` idle `itg worker` processes, polling often so none sleeps through the start."""
    env = {**os.environ, "ITG_DATABASE_URL": url, "ITG_POLL_SECONDS": "0.02"}
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
            yield
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


@contextmanager
def _postgres() -> Iterator[object]:
    """A function naming a fresh database on a throwaway cluster, or None without PostgreSQL."""
    import sys

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
