"""The backlog counter (itg/storage/backlog.py) always equals the records not yet processed:
the sum of total - done over each company's queued and processing requests (SPEC 1.10).

`assert_backlog_matches(db)` is the invariant; each scenario here moves requests through one
way of being stored, applied or ended and checks it after every step. Both engines.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import UNFINISHED_SQL, company_backlog, requests
from itg.worker import Worker
from tests.builders import person
from tests.faults import FaultHooks
from tests.tenants import Tenant


def assert_backlog_matches(db: Database) -> dict[int, int]:
    """Each company's counter equals its unfinished records; returns the counters."""
    with db.read() as conn:
        counted = {c: n for c, n in conn.execute(select(company_backlog)) if n}
        unfinished = {
            c: n
            for c, n in conn.execute(
                select(requests.c.company_id, func.sum(requests.c.total - requests.c.done))
                .where(requests.c.status.in_(("queued", "processing")))
                .group_by(requests.c.company_id)
            )
            if n
        }
    assert UNFINISHED_SQL == "status IN ('queued', 'processing')"  # the same definition
    assert counted == unfinished
    return counted


def people(count: int, first: int = 0) -> list[dict[str, object]]:
    return [person(str(first + n)) for n in range(count)]


def test_stored_requests_count_and_applied_chunks_uncount(
    store, db: Database, settings: Settings, tenant: Tenant, other_company: Tenant
):
    # Given two companies' requests stored
    store.accept(people(250))
    store.accept(people(30, 1000))
    store.accept(people(5), tenant=other_company)
    assert assert_backlog_matches(db) == {tenant.id: 280, other_company.id: 5}
    # When a worker applies one chunk of the first request, then stops (a graceful stop)
    stop = threading.Event()

    class StopAfterOneChunk(FaultHooks):
        def after_chunk_applied(self, service, chunk):  # type: ignore[no-untyped-def]
            stop.set()

    worker = Worker(db, settings, hooks=StopAfterOneChunk())
    assert worker.run_once(stop)
    # Then the counter lost exactly that chunk, and still matches
    chunk = settings.chunk_size
    assert assert_backlog_matches(db) == {tenant.id: 280 - chunk, other_company.id: 5}
    # When everything is applied, Then nothing is pending
    while Worker(db, settings).run_once():
        pass
    assert assert_backlog_matches(db) == {}


def test_a_request_ended_after_faults_leaves_nothing_pending(store, db: Database, settings):
    # Given a request whose second chunk raises on every attempt
    accepted = store.accept(people(150))
    hooks = FaultHooks(fail_identifier=str(person("120")["matricula"]))
    assert hooks.fail_identifier == "120"
    worker = Worker(db, settings, hooks=hooks, retry_delays=(0.0, 0.0))
    # When the worker gives up after its attempts (the first chunk was committed)
    for _ in range(5):
        worker.run_once()
        assert_backlog_matches(db)
    # Then the request ended and nothing of it is pending
    assert store.request(accepted.subunique)["status"] == "warning"
    assert assert_backlog_matches(db) == {}


def test_the_minimal_ending_leaves_nothing_pending(store, db: Database, settings: Settings):
    store.accept(people(150))
    hooks = FaultHooks(fail_identifier=str(person("120")["matricula"]), fail_error_entries=True)
    worker = Worker(db, settings, hooks=hooks, retry_delays=(0.0, 0.0))
    for _ in range(5):
        worker.run_once()
        assert_backlog_matches(db)
    assert assert_backlog_matches(db) == {}
