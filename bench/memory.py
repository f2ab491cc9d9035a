"""Figure `memory`: RSS of `itg serve --workers 0` before and after 10,000 accepted requests.

SPEC 6.1 compares against the server's own RSS right after start (its baseline); the target
is growth under 50 MB. Requests carry one record each, so the count of stored requests grows
while each one stays cheap: growth here means something keeps per-request state. RSS is
printed after every 1,000, to tell warm-up (thread pool, caches) from a steady leak. Every
setting is itg's default. The figure is broken unless all 10,000 were answered 200.
"""

from __future__ import annotations

import time

from bench.common import (
    Figure,
    banner,
    figure,
    init_itg,
    people_body,
    rss_mib,
    scratch_dir,
    serve_itg,
    show,
)
from bench.load import describe, hammer
from bench.targets import TARGETS

REQUESTS = 10_000
STEP = 1_000  # RSS and rate are read after every step: a leak climbs, warm-up flattens
CONNECTIONS = 8
SECONDS = 120.0  # bound on a slow machine; fewer than REQUESTS makes the figure broken
MB_PER_MIB = 1.048576  # the target is in MB


def run() -> list[Figure]:
    banner(f"memory: RSS of itg serve --workers 0 over {REQUESTS} accepted requests")
    body = people_body(0, 1)
    accepted = failures = 0
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg.database_url, workers=0) as server:
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
                accepted += step.answered
                failures += step.all_failures
                end = rss_mib(server.pid)
                print(
                    f"  after {accepted:>6}: RSS {end:.1f} MiB  ({step.rate:.0f} req/s;"
                    f" {describe(step)})",
                    flush=True,
                )
    print(f"  growth {end - start:+.1f} MiB = {(end - start) * MB_PER_MIB:+.1f} MB", flush=True)
    problems = []
    if accepted < REQUESTS or failures:
        problems.append(f"{accepted} of {REQUESTS} requests accepted, {failures} not 200")
    f = figure(
        f"memory RSS after {REQUESTS} req",
        "MB",
        end * MB_PER_MIB,
        start * MB_PER_MIB,
        TARGETS["memory"],
        problems,
    )
    show(f)
    return [f]
