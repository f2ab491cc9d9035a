"""Figure `apply`: people records/s from accept to final status (SPEC 6.1).

10 requests of 1000 distinct, valid people (matrícula, CPF, PIS and e-mail all unique, so
every uniqueness check runs and every record is inserted), one company.

- accept -> final (the SPEC 6.1 figure): a real `itg serve --workers 1` (every setting its
  default); the clock runs from sending the first POST (one client, one request at a time)
  until the bench sees the last request final in the database.
- drain only (printed beside it, to profile the worker alone): the same requests accepted
  by `itg serve --workers 0`, then applied by one in-process Worker; the clock holds the
  drain alone.

The baseline is bench/baseline_apply.py: raw upserts of the same payloads, 1000-row
transactions, the same indexes. No rate is reported unless the work happened: every request
read back through GET /process must be `done` with done == total == 1000, and the baseline
must have stored every row.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bench.baseline_apply import stored_rows, upsert_all
from bench.common import (
    Figure,
    banner,
    drain_queue,
    figure,
    init_itg,
    people_body,
    reports,
    scratch_dir,
    serve_itg,
    show,
    unfinished,
    wait_all_final,
)
from bench.targets import TARGETS

REQUESTS = 10
RECORDS = 1000
TOTAL = REQUESTS * RECORDS


def _post_all(
    client: httpx.Client, url: str, headers: dict[str, str], payloads: list[bytes]
) -> list[str]:
    """POST each payload in turn; their subuniques."""
    subuniques = []
    for payload in payloads:
        answer = client.post(f"{url}/people", content=payload, headers=headers)
        answer.raise_for_status()
        subuniques.append(answer.json()["subunique"])
    return subuniques


def _accept_to_final(directory: Path, payloads: list[bytes]) -> tuple[float, list[str]]:
    """Seconds from the first POST to the last final status; problems found."""
    from itg.settings import Settings
    from itg.storage.database import open_database

    itg = init_itg(directory)
    db = open_database(Settings(database_url=itg.database_url))
    try:
        with (
            serve_itg(directory, itg.database_url, workers=1, name="apply-e2e") as server,
            httpx.Client(timeout=60) as client,
        ):
            started = time.perf_counter()
            subuniques = _post_all(client, server.url, itg.headers, payloads)
            seconds = wait_all_final(db, REQUESTS) - started
            problems = unfinished(reports(client, server.url, itg.headers, subuniques), RECORDS)
    finally:
        db.dispose()
    print(f"  itg accept -> final: {seconds:.2f}s", flush=True)
    return seconds, [f"accept -> final: {p}" for p in problems]


def _drain_only(directory: Path, payloads: list[bytes]) -> tuple[float, list[str]]:
    """Seconds one in-process Worker takes to apply the queue; problems found."""
    (directory / "drain").mkdir()
    itg = init_itg(directory / "drain")
    with (
        serve_itg(directory, itg.database_url, workers=0, name="apply-drain") as server,
        httpx.Client(timeout=60) as client,
    ):
        subuniques = _post_all(client, server.url, itg.headers, payloads)
        seconds, claimed = drain_queue(itg.database_url)
        problems = unfinished(reports(client, server.url, itg.headers, subuniques), RECORDS)
    print(f"  itg drain only: {claimed} requests in {seconds:.2f}s", flush=True)
    return seconds, [f"drain: {p}" for p in problems]


def run() -> list[Figure]:
    banner(f"apply: {REQUESTS} x {RECORDS} people, accept -> final status")
    payloads = [people_body(n * RECORDS, RECORDS) for n in range(REQUESTS)]
    with scratch_dir() as directory:
        e2e_seconds, e2e_problems = _accept_to_final(directory, payloads)
        drain_seconds, drain_problems = _drain_only(directory, payloads)
        base_path = directory / "baseline.db"
        base_seconds = upsert_all(base_path, payloads)
        base_rows = stored_rows(base_path)
    print(f"  baseline: {base_rows} rows upserted in {base_seconds:.2f}s", flush=True)
    base_problems = [] if base_rows == TOTAL else [f"baseline stored {base_rows} of {TOTAL} rows"]
    figures = [
        figure(
            "apply rec/s, accept -> final",
            "rec/s",
            TOTAL / e2e_seconds,
            TOTAL / base_seconds,
            TARGETS["apply"],
            e2e_problems + base_problems,
        ),
        figure(
            "apply rec/s, drain only",
            "rec/s",
            TOTAL / drain_seconds,
            TOTAL / base_seconds,
            None,
            drain_problems + base_problems,
        ),
    ]
    for f in figures:
        show(f)
    return figures
