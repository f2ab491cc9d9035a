"""Figure `send`: `itg send people FILE --watch` of 25,000 people, end to end, beside the
server's own apply rate in the same run (issue 10: what the client adds to the server's work).

The file is one JSON array; `itg send` splits it into 25 requests of 1000, posts them in
order and follows them until every one is final (exit status 0: every record succeeded).
The server is `itg serve --workers 1` on a fresh SQLite file, every setting its default.
The server's own rate is read from its `requests` table afterwards: the records over the
time from the first request's start of applying to the last one's end. No target: SPEC 6.1
has none for the client; the ratio says how close the client comes to the server's pace.
"""

from __future__ import annotations

import subprocess
import time

from bench.common import (
    ITG,
    Figure,
    banner,
    bench_env,
    figure,
    init_itg,
    people_body,
    scratch_dir,
    serve_itg,
    show,
)

RECORDS = 25_000
TIMEOUT_S = 600.0


def run() -> list[Figure]:
    banner(f"send: itg send people of {RECORDS:,} records --watch, against the server's apply")
    if not ITG.exists():
        raise RuntimeError(f"no console script {ITG}: install the package (make)")
    with scratch_dir() as directory:
        people = directory / "people.json"
        people.write_bytes(people_body(0, RECORDS))
        itg = init_itg(directory)
        with serve_itg(directory, itg.database_url, workers=1, name="send") as server:
            env = bench_env(
                ITG_URL=server.url, ITG_USERNAME=itg.username, ITG_PASSWORD=itg.password
            )
            started = time.perf_counter()
            done = subprocess.run(
                [str(ITG), "send", "people", str(people), "--watch"],
                env=env,
                capture_output=True,
                timeout=TIMEOUT_S,
            )
            wall = time.perf_counter() - started
        problems = []
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).decode(errors="replace").strip()[-300:]
            problems.append(f"itg send exited {done.returncode}: {tail}")
        applied, apply_seconds = _server_apply(itg.database_url)
        if applied != RECORDS:
            problems.append(f"the server applied {applied} of {RECORDS} records")
    print(f"  itg send --watch: {RECORDS:,} records in {wall:.2f}s", flush=True)
    print(f"  server: {applied:,} records applied in {apply_seconds:.2f}s", flush=True)
    f = figure(
        "send 25,000 people, end to end",
        "rec/s",
        RECORDS / wall,
        RECORDS / apply_seconds if apply_seconds else 0.0,
        None,
        problems,
    )
    show(f)
    return [f]


def _server_apply(database_url: str) -> tuple[int, float]:
    """(records done, seconds from the first start of applying to the last finish)."""
    from sqlalchemy import func, select

    from itg.settings import Settings
    from itg.storage.database import open_database
    from itg.storage.schema import requests

    db = open_database(Settings(database_url=database_url))
    try:
        with db.read() as conn:
            done, first, last = conn.execute(
                select(
                    func.sum(requests.c.done),
                    func.min(requests.c.started_at),
                    func.max(requests.c.finished_at),
                )
            ).one()
    finally:
        db.dispose()
    if first is None or last is None:
        return int(done or 0), 0.0
    return int(done or 0), (last - first).total_seconds()
