"""Figure `accept`: POST /people with 1000 records (~330 KB), 8 connections (SPEC 6.1).

itg runs as `itg serve --workers 0` (the API alone, as measured by the target); the baseline
is bench/baseline_accept.py on the same uvicorn. Both get the same body and headers, one after
the other, each on a fresh SQLite file. Also printed: the latency of one request at a time
(median of 20), which is "how long accepting a 1000-record people request takes".
"""

from __future__ import annotations

from bench.common import (
    Figure,
    banner,
    init_itg,
    people_body,
    percentile,
    scratch_dir,
    serve_itg,
    serve_module,
    show,
)
from bench.load import Run, describe, hammer, sequential

RECORDS = 1000
CONNECTIONS = 8
COUNT = 800  # concurrent phase: enough samples for a p99 ...
SECONDS = 20.0  # ... unless this runs out first
SINGLE = 20  # sequential requests for the single-request median


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


def run() -> list[Figure]:
    banner(f"accept: POST /people, {RECORDS} records, {CONNECTIONS} connections")
    body = people_body(0, RECORDS)
    print(f"  body {len(body) / 1000:.0f} KB", flush=True)
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg, workers=0) as server:
            itg_single, itg_load = _measure(f"{server.url}/people", body, itg.headers)
        print(f"  itg:      {describe(itg_load)}", flush=True)
        # Same headers for the baseline (it ignores them), so both servers read the same bytes.
        baseline_db = str(directory / "baseline.db")
        with serve_module(directory, "baseline_accept", "--db", baseline_db) as server:
            base_single, base_load = _measure(f"{server.url}/people", body, itg.headers)
        print(f"  baseline: {describe(base_load)}", flush=True)

    ms = 1000.0
    itg_p99 = percentile(itg_load.latencies, 99) * ms
    base_p99 = percentile(base_load.latencies, 99) * ms
    figures = [
        Figure(
            "accept req/s",
            "req/s",
            itg_load.rate,
            base_load.rate,
            ">= 0.6x",
            itg_load.rate >= 0.6 * base_load.rate,
        ),
        Figure(
            "accept p50",
            "ms",
            percentile(itg_load.latencies, 50) * ms,
            percentile(base_load.latencies, 50) * ms,
            "-",
            None,
        ),
        Figure("accept p99", "ms", itg_p99, base_p99, "<= 2x", itg_p99 <= 2 * base_p99),
        Figure(
            "accept 1 request, median",
            "ms",
            percentile(itg_single.latencies, 50) * ms,
            percentile(base_single.latencies, 50) * ms,
            "-",
            None,
        ),
    ]
    for f in figures:
        show(f.name, f.itg, f.baseline, f.unit, f.target)
    return figures
