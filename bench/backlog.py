"""Figure `backlog`: claiming and accepting with 0, 20,000 and 100,000 stored requests
(SPEC 6.1 "deep backlog", SPEC 3.2; issue 8), on SQLite and on PostgreSQL.

One database per engine grows 0 -> 20,000 -> 100,000 requests of company a000001 (half
finished, half queued, ~2.7 KB payloads of 8 people each), inserted in bulk through
SQLAlchemy Core. At each size it measures:

- claim: `itg.storage.queue.claim_next` in-process (no server running), warm-up excluded.
  Company b000001 has 1-record requests queued, so with a backlog the claims alternate
  between a000001's head (the backlog) and b000001's (round robin); the times are reported
  together and per company. Each claimed request is then marked done outside the clock.
- POST: a real `itg serve --workers 0` (nothing is applied) answering 1-record
  `POST /costcenter` of a000001 sent one at a time on one keep-alive connection.

The server's environment is built from scratch (bench/common.py `bench_env`): PATH/HOME/LANG
and ITG_DATABASE_URL only, so every other setting is its default (SQLite synchronous=FULL).
PostgreSQL is a throwaway cluster (tests/pg_cluster.py, fsync off) and gets ANALYZE after
each bulk insert, as autovacuum would; its absolute numbers exclude durability costs, its
ratios hold. Each deeper size is judged by SPEC 6.1's deep-backlog row against the empty one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from bench.common import (
    Figure,
    banner,
    basic_headers,
    figure,
    people_body,
    percentile,
    postgres_cluster,
    scratch_dir,
    serve_itg,
    show,
)
from bench.load import sequential
from bench.targets import TARGETS
from tests.tables import store_backlog

if TYPE_CHECKING:
    from itg.settings import Settings
    from itg.storage.database import Database

SIZES = (0, 20_000, 100_000)
CLAIMS = 50  # measured claim_next calls per size
WARMUP_CLAIMS = 2  # the first calls compile the statements and fill caches
POSTS = 200
BACKLOG_COMPANY = "a000001"
OTHER_COMPANY = "b000001"
USERNAME = "integrador"
PAYLOAD = people_body(0, 8)  # ~2.7 KB, the body of every stored backlog request
PAYLOAD_RECORDS = 8
ONE_COST_CENTER = orjson.dumps([{"codigo": "CC1", "nome": "Centro de custo"}])


@dataclass
class Size:
    """What was measured at one backlog size on one engine (seconds)."""

    engine: str
    backlog: int
    stored: int = 0
    claims: dict[str, list[float]] = field(default_factory=dict)  # company code -> times
    posts: list[float] = field(default_factory=list)

    @property
    def all_claims(self) -> list[float]:
        return [t for times in self.claims.values() for t in times]


def run() -> list[Figure]:
    banner("backlog: claim and 1-record POST with 0 / 20,000 / 100,000 stored requests")
    sizes: list[Size] = []
    with scratch_dir() as directory:
        sizes += _measure_engine("sqlite", f"sqlite:///{directory / 'backlog.db'}", directory)
        with postgres_cluster() as make_url:
            if make_url is None:
                print("  postgres: skipped (no initdb/pg_ctl on this machine)", flush=True)
            else:
                sizes += _measure_engine("postgres", make_url("backlog"), directory)
    for engine in dict.fromkeys(s.engine for s in sizes):
        print(f"\n{_table([s for s in sizes if s.engine == engine])}", flush=True)
    return _figures(sizes)


# --- measuring -------------------------------------------------------------------------------


def _measure_engine(engine: str, url: str, directory: Path) -> list[Size]:
    from itg.permissions import all_routes
    from itg.settings import Settings
    from itg.storage import tenants
    from itg.storage.database import open_database
    from itg.storage.migrate import upgrade_schema

    settings = Settings(database_url=url)
    db = open_database(settings)
    try:
        upgrade_schema(db)
        created = tenants.bootstrap(db, BACKLOG_COMPANY, "Backlog", USERNAME, all_routes())
        assert created is not None, "the bench database must be new"
        backlog_company, user, password = created
        other = tenants.create_company(db, OTHER_COMPANY, "Other")
        headers = basic_headers(user.username, password)
        results = []
        stored_backlog = 0
        for backlog in SIZES:
            started = time.perf_counter()
            store_backlog(
                db, backlog_company.id, backlog - stored_backlog, PAYLOAD, PAYLOAD_RECORDS
            )
            inserted = time.perf_counter() - started
            stored_backlog = backlog
            size = Size(engine, backlog)
            size.claims = _claim_times(db, settings, other.id, other.code)
            size.stored = _count_requests(db)  # as the POSTs start (other's top-up included)
            size.posts = _post_times(directory, url, headers, f"backlog-{engine}-{backlog}")
            print(
                f"  {engine:<8} {backlog:>7,} backlog ({size.stored:,} stored,"
                f" inserted in {inserted:.1f}s): claim p50 {_ms(size.all_claims, 50)} ms,"
                f" POST p50 {_ms(size.posts, 50)} ms",
                flush=True,
            )
            results.append(size)
        return results
    finally:
        db.dispose()


def _count_requests(db: Database) -> int:
    from sqlalchemy import func, select

    from itg.storage.schema import requests

    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(requests)).scalar_one()


def _claim_times(
    db: Database, settings: Settings, other_id: int, other_code: str
) -> dict[str, list[float]]:
    """Time `claim_next` calls; every claimed request is marked done outside the clock."""
    from itg.storage import queue

    # Enough 1-record requests of the other company for every claim to find one.
    _top_up(db, settings, other_id, other_code, WARMUP_CLAIMS + CLAIMS)
    times: dict[str, list[float]] = {}
    for n in range(WARMUP_CLAIMS + CLAIMS):
        started = time.perf_counter()
        claim = queue.claim_next(db, settings.lease_seconds)
        elapsed = time.perf_counter() - started
        if claim is None:
            raise RuntimeError("claim_next found nothing to claim")
        if n >= WARMUP_CLAIMS:
            times.setdefault(claim.company_code, []).append(elapsed)
        _finish(db, claim.request_id)
    return times


def _top_up(
    db: Database, settings: Settings, company_id: int, company_code: str, wanted: int
) -> None:
    from sqlalchemy import func, select

    from itg.storage.intake import accept_request
    from itg.storage.schema import QUEUED, requests

    with db.read() as conn:
        queued = conn.execute(
            select(func.count()).where(
                requests.c.company_id == company_id, requests.c.status == QUEUED
            )
        ).scalar_one()
    for _ in range(wanted - queued):
        accept_request(
            db,
            company_id=company_id,
            company_code=company_code,
            route="costcenter",
            payload=ONE_COST_CENTER,
            total=1,
            validity_seconds=settings.validity_seconds,
        )


def _finish(db: Database, request_id: int) -> None:
    """End a claimed request as `done` without applying it: the claim is what is measured."""
    from sqlalchemy import update

    from itg.storage.schema import DONE, requests
    from itg.timeutil import utcnow

    with db.write() as conn:
        conn.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(status=DONE, done=requests.c.total, finished_at=utcnow(), lease_expires_at=None)
        )


def _post_times(directory: Path, url: str, headers: dict[str, str], name: str) -> list[float]:
    with serve_itg(directory, url, workers=0, name=name) as server:
        run = sequential(
            "POST", f"{server.url}/costcenter", count=POSTS, body=ONE_COST_CENTER, headers=headers
        )
    if run.all_failures or len(run.latencies) != POSTS:
        raise RuntimeError(f"{run.all_failures} of {POSTS} POSTs failed ({name}.log)")
    return run.latencies


# --- reporting -------------------------------------------------------------------------------


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.1f}" if values else "-"


def _table(sizes: list[Size]) -> str:
    empty = percentile(sizes[0].posts, 50)
    header = (
        f"  {sizes[0].engine}: ms; {CLAIMS} claims and {POSTS} sequential POSTs per row;"
        " stored = rows of `requests` as the POSTs start\n"
        f"  {'backlog':>8} {'stored':>8}  {'claim p50':>9} {'p99':>6}"
        f"  {BACKLOG_COMPANY + ' p50':>11} {OTHER_COMPANY + ' p50':>11}"
        f"  {'POST p50':>8} {'p99':>6}  {'p50/empty':>9}"
    )
    lines = [header]
    for s in sizes:
        ratio = percentile(s.posts, 50) / empty
        lines.append(
            f"  {s.backlog:>8,} {s.stored:>8,}  {_ms(s.all_claims, 50):>9}"
            f" {_ms(s.all_claims, 99):>6}"
            f"  {_ms(s.claims.get(BACKLOG_COMPANY, []), 50):>11}"
            f" {_ms(s.claims.get(OTHER_COMPANY, []), 50):>11}"
            f"  {_ms(s.posts, 50):>8} {_ms(s.posts, 99):>6}  {ratio:>9.2f}"
        )
    return "\n".join(lines)


def _figures(sizes: list[Size]) -> list[Figure]:
    figures = []
    for engine in dict.fromkeys(s.engine for s in sizes):
        empty, *deep = [s for s in sizes if s.engine == engine]
        for s in deep:
            figures.append(
                figure(
                    f"backlog POST p50 {s.backlog // 1000}k stored, {engine}",
                    "ms",
                    percentile(s.posts, 50) * 1000,
                    percentile(empty.posts, 50) * 1000,
                    TARGETS["backlog"],
                )
            )
    for f in figures:
        show(f)
    return figures
