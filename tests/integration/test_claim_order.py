"""Which request a worker claims next (SPEC 3.2): round robin across companies, FIFO within
one, a cost that does not grow with the requests stored, and fault retries that wait.

Both engines (the `settings` fixture of this folder). The order is checked claim by claim
with `Worker.run_once`, so nothing here depends on timing except the latency comparison of
the deep-backlog test, whose bound is generous.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta

import orjson

from itg.services.base import Service
from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.timeutil import utcnow
from itg.worker import Worker
from tests.builders import many_people, person
from tests.driving import recording_statements
from tests.tables import store_backlog
from tests.tenants import make_tenant


def claimed_companies(db: Database, settings: Settings, count: int) -> list[str]:
    """Process `count` requests one by one; the company code of each, in claim order."""
    order = []
    worker = Worker(db, settings)
    for _ in range(count):
        claim = queue.claim_next(db, settings.lease_seconds)
        assert claim is not None
        order.append(claim.company_code)
        worker.process(claim, threading.Event())
    return order


def test_a_company_with_a_backlog_does_not_hold_up_another(store, db, settings, tenant):
    # Given company A with 40 queued requests of 1000 people, and one worker on A's first
    backlog = [store.accept(many_people(1000)) for _ in range(40)]
    b = make_tenant(db, "b000001")
    worker = Worker(db, settings)
    assert worker.run_once()
    # When company B sends a 1-record request
    late = store.accept([person("B1")], tenant=b)
    # Then the worker's next claim is B's: it is done while A's next requests still wait
    assert worker.run_once()
    assert store.request(late.subunique, b)["status"] == "done"
    assert [store.request(a.subunique)["status"] for a in backlog[:3]] == [
        "done",
        "queued",
        "queued",
    ]


def test_companies_take_turns_in_the_order_they_were_served(store, db, settings):
    # Given three companies, each with three queued 1-record requests, queued A, A, A, B, …
    tenants = [store.tenant, make_tenant(db, "b000001"), make_tenant(db, "c000001")]
    for owner in tenants:
        for n in range(3):
            store.accept([person(f"{owner.code}-{n}")], tenant=owner)
    # When one worker claims them one at a time
    order = claimed_companies(db, settings, 9)
    # Then the companies alternate (the least recently served first), FIFO within each
    assert order == ["a000101", "b000001", "c000001"] * 3
    assert queue.claim_next(db, settings.lease_seconds) is None


def test_a_company_waiting_since_longest_goes_first(store, db, settings):
    # Given A served once, then B and A queuing again
    b = make_tenant(db, "b000001")
    store.accept([person("A0")])
    assert claimed_companies(db, settings, 1) == ["a000101"]
    store.accept([person("A1")])
    store.accept([person("B0")], tenant=b)
    store.accept([person("A2")])
    # Then B (never served) goes before A's older request, and A after
    assert claimed_companies(db, settings, 3) == ["b000001", "a000101", "a000101"]


def test_a_fault_makes_its_company_wait_before_the_retry(store, db, settings, monkeypatch):
    # Given a request whose first attempt raises, and another company's request
    b = make_tenant(db, "b000001")
    first = store.accept([person("A0")])
    other = store.accept([person("B0")], tenant=b)
    real = Service.apply_chunk
    calls = []

    def flaky(self, ctx, records):  # type: ignore[no-untyped-def]
        calls.append(records[0][1]["matricula"])
        if len(calls) == 1:
            raise RuntimeError("transient")
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", flaky)
    worker = Worker(db, settings)
    # When the worker runs: the fault, then the other company, then nothing yet
    before = utcnow()
    assert worker.run_once()
    row = store.request(first.subunique)
    assert (row["status"], row["faults"], row["attempt"]) == ("processing", 1, 1)
    # the retry waits about 1 s (SPEC 3.4)
    assert timedelta(seconds=0.9) <= row["lease_expires_at"] - before <= timedelta(seconds=5)
    assert worker.run_once()
    assert store.request(other.subunique, b)["status"] == "done"
    assert not worker.run_once()
    # Then, once the delay has passed, the retry succeeds
    deadline = time.monotonic() + 10
    while not worker.run_once():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert store.request(first.subunique)["status"] == "done"
    assert calls == ["A0", "B0", "A0"]


# -- a deep backlog -----------------------------------------------------------------------

BACKLOG = 20_000
PAYLOAD = orjson.dumps([{"matricula": "x" * 30, "nome": "y" * 100}] * 20)  # ~3 KB


def test_a_claim_reads_no_payload_but_the_claimed_one_whatever_is_stored(
    store, db, settings, tenant
):
    # Given 20,000 stored requests of one company (10,000 finished, 10,000 queued)
    # and another company's single request
    store_backlog(db, tenant.id, BACKLOG, PAYLOAD, 20)
    b = make_tenant(db, "b000001")
    store.accept([person("B0")], tenant=b)
    # When a worker claims
    with recording_statements(db) as issued:
        claim = queue.claim_next(db, settings.lease_seconds)
    # Then it took A's oldest queued request, and read exactly one payload: that one's
    assert claim is not None and claim.company_code == tenant.code
    assert claim.payload == PAYLOAD
    payload_reads = [s for s in issued if "request_payloads" in s]
    assert len(payload_reads) == 1
    assert "WHERE requests.id =" in payload_reads[0]


def plan_of(db: Database, query) -> str:  # type: ignore[no-untyped-def]
    """The engine's query plan of `query`, as text."""
    with db.read() as conn:
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        if db.is_sqlite:
            return "\n".join(
                row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            )
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))


def test_finding_the_heads_seeks_the_index_of_unfinished_work(db, settings, tenant):
    # Given a deep backlog, and a few other companies
    store_backlog(db, tenant.id, BACKLOG, PAYLOAD, 20)
    for n in range(3):
        make_tenant(db, f"b00000{n}")
    if db.is_postgres:
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE")
    # When the engine plans the query that finds each company's head
    plan = plan_of(db, queue.head_query())
    # Then it walks the partial index (one seek per company with work) and never scans the
    # requests; on SQLite the only scan of a requests alias is the ordered walk of that index
    # to its first entry (LIMIT 1), the rest are seeks
    assert "ix_requests_unfinished" in plan, plan
    if db.is_sqlite:
        scans = [
            line.strip()
            for line in plan.splitlines()
            if line.strip().startswith("SCAN ") and line.strip() != "SCAN heads"
        ]
        assert scans == ["SCAN u USING INDEX ix_requests_unfinished"], plan
    else:
        assert "Seq Scan on requests" not in plan, plan


def post_latencies(client, tenant, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for n in range(count):
        started = time.perf_counter()
        response = client.post(
            "/costcenter", json=[{"codigo": f"C{n}", "nome": "x"}], headers=tenant.headers
        )
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return times


def test_accepting_costs_the_same_with_a_deep_backlog(client, db, settings, tenant):
    # Given the latency of a 1-record POST on an empty database
    empty = statistics.median(post_latencies(client, tenant, 15))
    # When 20,000 requests are stored
    store_backlog(db, tenant.id, BACKLOG, PAYLOAD, 20)
    deep = statistics.median(post_latencies(client, tenant, 15))
    # Then the median latency stays within a small multiple (generous: a loaded 2-core CI)
    assert deep <= 4 * empty + 0.05, (empty, deep)
