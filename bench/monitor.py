"""Figure `monitor`: GET /process?subunique= with 64 connections (SPEC 6.1).

The process is a finished 1000-record people request with ~10 % failed records (invalid CPF,
repeated e-mail), so the answer carries a real error list. The baseline answers the very
bytes itg answered, from bench/baseline_monitor.py on the same uvicorn.
"""

from __future__ import annotations

import httpx

from bench.common import (
    Figure,
    banner,
    drain_queue,
    init_itg,
    people_body,
    scratch_dir,
    serve_itg,
    serve_module,
    show,
)
from bench.load import Run, describe, hammer

CONNECTIONS = 64
COUNT = 30_000
SECONDS = 15.0
FAULTY_EVERY = 20  # two failed records per 20: ~100 error entries


def _hammer(url: str, headers: dict[str, str]) -> Run:
    return hammer(
        "GET",
        url,
        connections=CONNECTIONS,
        count=COUNT,
        seconds=SECONDS,
        headers=headers,
        warmup=2 * CONNECTIONS,
    )


def run() -> list[Figure]:
    banner(f"monitor: GET /process?subunique=, {CONNECTIONS} connections")
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg, workers=0) as server:
            body = people_body(0, 1000, faulty_every=FAULTY_EVERY)
            accepted = httpx.post(f"{server.url}/people", content=body, headers=itg.headers)
            accepted.raise_for_status()
            # Applied in this process, so the server stays the API alone during the run.
            drain_queue(itg.database_url)
            url = f"{server.url}/process?subunique={accepted.json()['subunique']}"
            answer = httpx.get(url, headers=itg.headers)
            answer.raise_for_status()
            process = answer.json()
            print(
                f"  process: status {process['status']}, progress {process['progress']},"
                f" {len(process['data']['errors'])} errors, answer {len(answer.content)} bytes",
                flush=True,
            )
            itg_run = _hammer(url, itg.headers)
        print(f"  itg:      {describe(itg_run)}", flush=True)

        answer_file = directory / "process.json"
        answer_file.write_bytes(answer.content)
        with serve_module(directory, "baseline_monitor", "--body", str(answer_file)) as server:
            base_run = _hammer(f"{server.url}/process?subunique=x", itg.headers)
        print(f"  baseline: {describe(base_run)}", flush=True)

    figure = Figure(
        "monitor req/s",
        "req/s",
        itg_run.rate,
        base_run.rate,
        ">= 0.5x",
        itg_run.rate >= 0.5 * base_run.rate,
    )
    show(figure.name, figure.itg, figure.baseline, figure.unit, figure.target)
    return [figure]
