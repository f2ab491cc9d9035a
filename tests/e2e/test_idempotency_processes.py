"""SPEC 1.8 and 1.10 across real processes: two `itg serve --workers 0` on one PostgreSQL.

Concurrent requests with one Idempotency-Key store exactly one request and all get its
subunique (none a 500); concurrent requests at the backlog edge never overshoot the quota.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from sqlalchemy import select

from itg.storage.schema import company_backlog
from tests.builders import person
from tests.engines import POSTGRES_ONLY
from tests.errors import error_body
from tests.processes import Itg

pytestmark = [pytest.mark.e2e, POSTGRES_ONLY]

CONCURRENT = 30


def post_all(
    clients: list[httpx.Client], bodies: list[bytes], key: str | None
) -> list[httpx.Response]:
    """Every body posted at once, alternating between the servers."""
    headers = {} if key is None else {"Idempotency-Key": key}

    def send(n: int) -> httpx.Response:
        client = clients[n % len(clients)]
        return client.post("/people", content=bodies[n], headers=headers)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(send, range(len(bodies))))


def test_one_key_posted_concurrently_on_two_servers_stores_one_request(itg: Itg):
    servers = [itg.serve(workers=0), itg.serve(workers=0)]
    clients = [server.client() for server in servers]
    body = orjson.dumps([person(f"m{i}") for i in range(5)])
    try:
        answers = post_all(clients, [body] * CONCURRENT, key="one-key")
    finally:
        for client in clients:
            client.close()

    # Every answer is a 200 with the same ids, byte for byte; all but one are replays
    assert [a.status_code for a in answers] == [200] * CONCURRENT, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    replays = [a.headers.get("idempotent-replayed") for a in answers]
    assert replays.count(None) == 1
    assert replays.count("true") == CONCURRENT - 1
    # Exactly one request stored, applied once
    (row,) = itg.requests()
    assert row["subunique"] == answers[0].json()["subunique"]
    itg.worker()
    (row,) = itg.wait_all_final(60)
    assert (row["status"], row["done"]) == ("done", 5)
    assert sorted(m for _, m, _ in itg.people()) == [f"m{i}" for i in range(5)]


def test_concurrent_posts_at_the_backlog_edge_never_overshoot(itg: Itg):
    # 50 records allowed, 40 requests of 3 at once on two servers: exactly 16 fit
    servers = [itg.serve(workers=0, max_pending_records=50) for _ in range(2)]
    clients = [server.client() for server in servers]
    bodies = [orjson.dumps([person(f"{n}-{i}") for i in range(3)]) for n in range(40)]
    try:
        answers = post_all(clients, bodies, key=None)
    finally:
        for client in clients:
            client.close()

    accepted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert len(accepted) == 16
    for answer in refused:
        assert answer.status_code == 429
        assert answer.json() == error_body(429, "Too many records waiting to be processed")
        assert int(answer.headers["retry-after"]) >= 1
    assert len(itg.requests()) == 16
    with itg.db.read() as conn:
        assert conn.execute(select(company_backlog.c.pending_records)).scalar_one() == 48
