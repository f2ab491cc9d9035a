"""Figure `accept`: POST /people with 1000 records (~330 KB), 8 connections (SPEC 6.1).

itg runs as `itg serve --workers 0` (the API alone, as measured by the target; every other
setting its default, so SQLite synchronous=FULL); the baseline is bench/baseline_accept.py on
the same uvicorn. Both get the same body and headers, one after the other, each on a fresh
SQLite file. Also printed: the latency of one request at a time (median of 20), which is
"how long accepting a 1000-record people request takes".

No rate is reported for work that did not happen: every answer must be 200, and each server
must have stored exactly as many requests as it answered 200 (itg's counted through
GET /processes, the baseline's in its table).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.common import (
    Figure,
    banner,
    figure,
    init_itg,
    list_processes,
    people_body,
    percentile,
    scratch_dir,
    serve_itg,
    serve_module,
    show,
)
from bench.load import Run, describe, failed, hammer, sequential
from bench.targets import TARGETS

RECORDS = 1000
CONNECTIONS = 8
COUNT = 800  # concurrent phase: enough samples for a p99 ...
SECONDS = 20.0  # ... unless this runs out first
SINGLE = 20  # sequential requests for the single-request median
MS = 1000.0


def _measure(url: str, body: bytes, headers: dict[str, str]) -> tuple[Run, Run]:
    single = sequential("POST", url, count=SINGLE, body=body, headers=headers)
    loaded = hammer(
        "POST",
        url,
        connections=CONNECTIONS,
        count=COUNT,
        seconds=SECONDS,
        body=body,
        headers=headers,
    )
    return single, loaded


def _stored(label: str, stored: int, runs: tuple[Run, Run]) -> list[str]:
    """Problems: any answer not 200, or a count of stored requests other than the 200s."""
    problems = failed(f"{label} single", runs[0]) + failed(f"{label} loaded", runs[1])
    answered = sum(run.answered for run in runs)
    if stored != answered:
        problems.append(f"{label} answered 200 to {answered} requests but stored {stored}")
    return problems


def _baseline_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])


def run() -> list[Figure]:
    banner(f"accept: POST /people, {RECORDS} records, {CONNECTIONS} connections")
    body = people_body(0, RECORDS)
    print(f"  body {len(body) / 1000:.0f} KB", flush=True)
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg.database_url, workers=0) as server:
            itg_runs = _measure(f"{server.url}/people", body, itg.headers)
            problems = _stored("itg", len(list_processes(server.url, itg.headers)), itg_runs)
        print(f"  itg:      {describe(itg_runs[1])}", flush=True)
        # Same headers for the baseline (it ignores them), so both servers read the same bytes.
        baseline_db = directory / "baseline.db"
        with serve_module(directory, "baseline_accept", "--db", str(baseline_db)) as server:
            base_runs = _measure(f"{server.url}/people", body, itg.headers)
        problems += _stored("baseline", _baseline_rows(baseline_db), base_runs)
        print(f"  baseline: {describe(base_runs[1])}", flush=True)

    (itg_single, itg_load), (base_single, base_load) = itg_runs, base_runs
    figures = [
        figure("accept req/s", "req/s", itg_load.rate, base_load.rate, TARGETS["accept"]),
        figure(
            "accept p50",
            "ms",
            percentile(itg_load.latencies, 50) * MS,
            percentile(base_load.latencies, 50) * MS,
        ),
        figure(
            "accept p99",
            "ms",
            percentile(itg_load.latencies, 99) * MS,
            percentile(base_load.latencies, 99) * MS,
            TARGETS["accept p99"],
        ),
        figure(
            "accept 1 request, median",
            "ms",
            percentile(itg_single.latencies, 50) * MS,
            percentile(base_single.latencies, 50) * MS,
        ),
    ]
    if problems:  # every figure of the run times the same work
        figures = [figure(f.name, f.unit, 0, 0, f.target, problems) for f in figures]
    for f in figures:
        show(f)
    return figures
