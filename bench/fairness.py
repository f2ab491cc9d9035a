"""Figure `fairness`: company B's 1-record request, one worker, while company A has
40 x 1000 people queued (SPEC 6.1 "fairness", SPEC 3.2 round robin; issue 8).

A real `itg serve --workers 1` (environment from scratch, bench/common.py `bench_env`:
ITG_DATABASE_URL only, every other setting its default) on SQLite, then on a throwaway
PostgreSQL (fsync off). A posts 40 requests of 1000 valid people; then, SAMPLES times, the
bench waits until the worker starts one of A's requests that began after A finished posting
and B has not yet posted during, and B posts one cost center at once: B arrives at the start
of A's request, its worst case with one worker. Polling the `requests` table every few ms,
it records:

- B's accept -> final: B's finished_at - created_at as stored (the server's clock), and the
  wall time from sending B's POST until the bench saw it final;
- A's apply time: finished_at - started_at of A's requests started after A's last POST
  (posting competes for the CPU with the worker), median.

The figure is the median of B's stored accept -> final over the median of A's apply time,
judged by SPEC 6.1's fairness row (bench/targets.py); it is broken unless B's requests ended
`done` 1/1 and A's timed ones `done` 1000/1000. The server stops at the end; A's remaining
requests are left queued.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import orjson

from bench.common import (
    Figure,
    banner,
    basic_headers,
    figure,
    people_body,
    postgres_cluster,
    scratch_dir,
    serve_itg,
    show,
)
from bench.targets import TARGETS

if TYPE_CHECKING:
    from itg.storage.database import Database

A_REQUESTS = 40
A_RECORDS = 1000
SAMPLES = 10  # each takes about two of A's requests: A still has a queue at the end
POLL_S = 0.005
WAIT_S = 120.0
A_CODE, A_USER = "a000001", "integrador"
B_CODE, B_USER = "b000001", "integrador-b"
B_BODY = orjson.dumps([{"codigo": "B1", "nome": "Centro de custo de B"}])


@dataclass(frozen=True)
class Outcome:
    engine: str
    b_stored: list[float]  # seconds, B's finished_at - created_at
    b_wall: list[float]  # seconds, B's POST sent -> seen final
    a_apply: list[float]  # seconds, A's finished_at - started_at
    problems: list[str]  # what did not happen as it should (a request not `done`)

    @property
    def ratio(self) -> float:
        return _median(self.b_stored) / _median(self.a_apply)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run() -> list[Figure]:
    banner(
        f"fairness: B's 1-record request, --workers 1, while A has"
        f" {A_REQUESTS} x {A_RECORDS} people queued"
    )
    outcomes = []
    with scratch_dir() as directory:
        outcomes.append(_measure("sqlite", f"sqlite:///{directory / 'fairness.db'}", directory))
        with postgres_cluster() as make_url:
            if make_url is None:
                print("  postgres: skipped (no initdb/pg_ctl on this machine)", flush=True)
            else:
                outcomes.append(_measure("postgres", make_url("fairness"), directory))
    print(f"\n{_table(outcomes)}", flush=True)
    figures = [
        figure(
            f"fairness B accept->final, {o.engine}",
            "ms",
            _median(o.b_stored) * 1000,
            _median(o.a_apply) * 1000,
            TARGETS["fairness"],
            o.problems,
        )
        for o in outcomes
    ]
    for f in figures:
        show(f)
    return figures


def _measure(engine: str, url: str, directory: Path) -> Outcome:
    from itg.permissions import all_routes
    from itg.settings import Settings
    from itg.storage import tenants
    from itg.storage.database import open_database
    from itg.storage.migrate import upgrade_schema

    db = open_database(Settings(database_url=url))
    try:
        upgrade_schema(db)
        created = tenants.bootstrap(db, A_CODE, "Company A", A_USER, all_routes())
        assert created is not None, "the bench database must be new"
        a, _, a_password = created
        b = tenants.create_company(db, B_CODE, "Company B")
        _, b_password = tenants.create_service_user(db, B_USER, B_CODE, all_routes())
        a_headers = basic_headers(A_USER, a_password)
        b_headers = basic_headers(B_USER, b_password)
        bodies = [people_body(n * A_RECORDS, A_RECORDS) for n in range(A_REQUESTS)]
        b_stored: list[float] = []
        b_wall: list[float] = []
        problems: list[str] = []
        with (
            serve_itg(directory, url, workers=1, name=f"fairness-{engine}") as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            for body in bodies:
                client.post("/people", content=body, headers=a_headers).raise_for_status()
            # B posts only at the start of an A request: not one already running now.
            seen = set(_processing(db, a.id))
            for _ in range(SAMPLES):
                seen.add(_wait_new_processing(db, a.id, seen))
                sent = time.perf_counter()
                answer = client.post("/costcenter", content=B_BODY, headers=b_headers)
                answer.raise_for_status()
                created_at, finished_at, outcome = _wait_final(db, b.id, answer.json()["subunique"])
                if outcome != "done 1/1":
                    problems.append(f"B's request ended {outcome}, not done 1/1")
                b_wall.append(time.perf_counter() - sent)
                b_stored.append((finished_at - created_at).total_seconds())
                print(
                    f"  {engine:<8} B accept->final {b_stored[-1]:.3f}s"
                    f" (seen by the client after {b_wall[-1]:.3f}s)",
                    flush=True,
                )
        a_apply, a_outcomes = _apply_times(db, a.id)
    finally:
        db.dispose()
    wanted = f"done {A_RECORDS}/{A_RECORDS}"
    if not a_apply or set(a_outcomes) != {wanted}:
        problems.append(f"A's requests timed ended {sorted(set(a_outcomes))}, not all {wanted}")
        return Outcome(engine, b_stored, b_wall, a_apply, problems)
    print(
        f"  {engine:<8} A: {len(a_apply)} requests applied after its last POST,"
        f" median {statistics.median(a_apply):.3f}s",
        flush=True,
    )
    return Outcome(engine, b_stored, b_wall, a_apply, problems)


def _processing(db: Database, company_id: int) -> list[int]:
    from sqlalchemy import select

    from itg.storage.schema import PROCESSING, requests

    with db.read() as conn:
        return list(
            conn.execute(
                select(requests.c.id).where(
                    requests.c.company_id == company_id, requests.c.status == PROCESSING
                )
            ).scalars()
        )


def _wait_new_processing(db: Database, company_id: int, seen: set[int]) -> int:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        fresh = [id_ for id_ in _processing(db, company_id) if id_ not in seen]
        if fresh:
            return fresh[0]
        time.sleep(POLL_S)
    raise RuntimeError(f"no new request of company {company_id} started in {WAIT_S:.0f}s")


def _wait_final(db: Database, company_id: int, subunique: str) -> tuple[datetime, datetime, str]:
    """(created_at, finished_at, "status done/total") of a request, once it is final."""
    from sqlalchemy import select

    from itg.storage.schema import requests

    c = requests.c
    query = select(c.created_at, c.finished_at, c.status, c.done, c.total).where(
        c.company_id == company_id, c.subunique == subunique
    )
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with db.read() as conn:
            created_at, finished_at, status, done, total = conn.execute(query).one()
        if finished_at is not None:
            return created_at, finished_at, f"{status} {done}/{total}"
        time.sleep(POLL_S)
    raise RuntimeError(f"request {subunique} not final after {WAIT_S:.0f}s")


def _apply_times(db: Database, company_id: int) -> tuple[list[float], list[str]]:
    """finished_at - started_at of the company's finished requests that started after its
    last request was accepted, and how each ended ("status done/total")."""
    from sqlalchemy import func, select

    from itg.storage.schema import requests

    mine = requests.c.company_id == company_id
    with db.read() as conn:
        last_accepted = conn.execute(select(func.max(requests.c.created_at)).where(mine))
        since = last_accepted.scalar_one()
        c = requests.c
        rows = conn.execute(
            select(c.started_at, c.finished_at, c.status, c.done, c.total).where(
                mine, c.finished_at.is_not(None), c.started_at >= since
            )
        ).all()
    times = [(finished - started).total_seconds() for started, finished, *_ in rows]
    return times, [f"{status} {done}/{total}" for *_, status, done, total in rows]


def _table(outcomes: list[Outcome]) -> str:
    lines = [
        f"  seconds; B: {SAMPLES} samples, each posted as one of A's requests started",
        f"  {'engine':<9} {'B accept->final p50':>19} {'max':>6} {'B seen p50':>10}"
        f"  {'A apply p50':>11} {'n':>3}  {'ratio':>5}",
    ]
    for o in outcomes:
        if o.problems:
            lines.append(f"  {o.engine:<9} BROKEN: {'; '.join(o.problems)}")
            continue
        lines.append(
            f"  {o.engine:<9} {_median(o.b_stored):>19.3f} {max(o.b_stored):>6.3f}"
            f" {_median(o.b_wall):>10.3f}  {_median(o.a_apply):>11.3f}"
            f" {len(o.a_apply):>3}  {o.ratio:>5.2f}"
        )
    return "\n".join(lines)
