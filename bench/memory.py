"""Figure `memory`: RSS of `itg serve --workers 0` before and after 10,000 accepted requests.

SPEC 6.1 compares against the server's own RSS right after start (its baseline); the target
is growth under 50 MB. Requests carry one record each, so the count of stored requests grows
while each one stays cheap: growth here means something keeps per-request state. RSS is
printed after every 1,000, to tell warm-up (thread pool, caches) from a steady leak.
"""

from __future__ import annotations

import time

from bench.common import (
    Figure,
    banner,
    init_itg,
    people_body,
    rss_mib,
    scratch_dir,
    serve_itg,
)
from bench.load import describe, hammer

REQUESTS = 10_000
STEP = 1_000  # RSS and rate are read after every step: a leak climbs, warm-up flattens
CONNECTIONS = 8
SECONDS = 50.0  # bound on a slow machine; the printout says how many were accepted
TARGET_MB = 50.0


def run() -> list[Figure]:
    banner(f"memory: RSS of itg serve --workers 0 over {REQUESTS} accepted requests")
    body = people_body(0, 1)
    accepted = 0
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg, workers=0) as server:
            url = f"{server.url}/people"
            start = rss_mib(server.pid)
            end = start
            print(f"  start: RSS {start:.1f} MiB", flush=True)
            deadline = time.monotonic() + SECONDS
            while accepted < REQUESTS and time.monotonic() < deadline:
                step = hammer(
                    "POST",
                    url,
                    connections=CONNECTIONS,
                    count=min(STEP, REQUESTS - accepted),
                    seconds=deadline - time.monotonic(),
                    body=body,
                    headers=itg.headers,
                    warmup=0,
                )
                accepted += len(step.latencies)
                end = rss_mib(server.pid)
                print(
                    f"  after {accepted:>6}: RSS {end:.1f} MiB  ({step.rate:.0f} req/s;"
                    f" {describe(step)})",
                    flush=True,
                )
    growth_mb = (end - start) * 1.048576  # MiB -> MB, the unit of the target
    print(f"  growth {end - start:+.1f} MiB = {growth_mb:+.1f} MB", flush=True)
    return [
        Figure(
            f"memory RSS after {accepted} req",
            "MiB",
            end,
            start,
            f"growth < {TARGET_MB:.0f} MB",
            growth_mb < TARGET_MB,
        )
    ]
