"""Worker recovery on real SQLite (SPEC 3.3–3.4): a request stopped between chunks (released
or abandoned) is completed by another worker with every record applied and reported exactly
once; repeated faults end a request instead of retrying it forever."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import replace

import pytest

from itg.domain import messages
from itg.services.base import Service
from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.storage.intake import accept_request
from itg.worker import Worker, WorkerPool
from tests.builders import entry, errors, many_people, person
from tests.driving import drain

TOTAL = 250
INVALID = (10, 110, 210)  # one failing record in each of the three chunks


class WorkerKilled(BaseException):
    """Stands in for kill -9: escapes the worker's `except Exception`, so nothing is cleaned up."""


@pytest.fixture
def kill_worker_at_chunk(monkeypatch):  # type: ignore[no-untyped-def]
    """Arm a one-off crash: the worker dies while applying its n-th chunk (1-based)."""

    def arm(chunk: int) -> None:
        real = Service.apply_chunk
        calls = itertools.count(1)

        def apply_chunk(self, ctx, records):  # type: ignore[no-untyped-def]
            if next(calls) == chunk:
                raise WorkerKilled
            return real(self, ctx, records)

        monkeypatch.setattr(Service, "apply_chunk", apply_chunk)

    return arm


# Retries start at once here; the delays themselves have a test of their own.
NO_RETRY_DELAY = (0.0,)


def assert_applied_and_reported_exactly_once(store, request_id: int) -> None:
    """Every record of the batch applied once, every failure reported once (no duplicate idx)."""
    people = store.people()
    assert len(people) == TOTAL - len(INVALID)
    assert store.people_count() == TOTAL - len(INVALID)
    assert sorted(people) == [f"M{i:03d}" for i in range(TOTAL) if i not in INVALID]
    errors = store.errors(request_id)
    assert [(e["idx"], e["identifier"], e["messages"]) for e in errors] == [
        (i, f"M{i:03d}", ["Data de admissão inválida"]) for i in INVALID
    ]


def test_a_gracefully_stopped_worker_releases_its_request_with_progress_kept(
    store, api, db: Database, settings: Settings, monkeypatch
):
    # Given a 250-record request and a stop signal that arrives during the first chunk
    accepted = store.accept(many_people(TOTAL, INVALID))
    stop = threading.Event()
    real = Service.apply_chunk

    def stop_during(self, ctx, records):  # type: ignore[no-untyped-def]
        stop.set()
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", stop_during)
    claim = queue.claim_next(db, settings.lease_seconds)
    assert claim is not None
    # When the worker processes it
    Worker(db, settings).process(claim, stop)
    # Then it finished the chunk in hand and gave the request back: queued, progress kept
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["attempt"]) == ("queued", 100, 1, 1)
    assert (row["lease_expires_at"], row["finished_at"]) == (None, None)
    report = api.report(accepted.subunique)
    assert (report["status"], report["progress"], report["finished_at"]) == (
        "queued",
        {"done": "100", "total": "250"},
        None,
    )
    assert store.people_count() == 99
    # When another worker takes it up (at once: a release does not wait for the lease)
    monkeypatch.setattr(Service, "apply_chunk", real)
    assert drain(db, settings, NO_RETRY_DELAY) == 1
    # Then the request completes from where it stopped
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["attempt"]) == ("warning", 250, 3, 2)
    assert_applied_and_reported_exactly_once(store, row["id"])
    assert api.report(accepted.subunique)["progress"] == {"done": "250", "total": "250"}


@pytest.mark.parametrize("dies_in_chunk", [2, 3])
def test_a_request_whose_worker_died_resumes_from_its_last_committed_chunk(
    store,
    api,
    db: Database,
    settings: Settings,
    kill_worker_at_chunk,
    dies_in_chunk: int,
):
    # Given a worker killed while applying a chunk of a 250-record request
    accepted = store.accept(many_people(TOTAL, INVALID))
    kill_worker_at_chunk(dies_in_chunk)
    with pytest.raises(WorkerKilled):
        Worker(db, settings).run_once()
    committed = (dies_in_chunk - 1) * 100
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"]) == (
        "processing",
        committed,
        dies_in_chunk - 1,
    )
    assert store.people_count() == committed - (dies_in_chunk - 1)
    report = api.report(accepted.subunique)
    assert (report["status"], report["progress"]) == (
        "processing",
        {"done": str(committed), "total": "250"},
    )
    # While its lease holds, no other worker takes the request over
    assert queue.claim_next(db, settings.lease_seconds) is None
    # When the lease runs out and another worker runs
    store.expire_lease(row["id"])
    assert drain(db, settings, NO_RETRY_DELAY) == 1
    # Then the request completes, every record applied and reported exactly once
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["attempt"]) == ("warning", 250, 3, 2)
    assert_applied_and_reported_exactly_once(store, row["id"])


def test_a_transient_fault_is_retried_from_the_last_committed_chunk(
    store, db: Database, settings: Settings, monkeypatch
):
    # Given a service that raises once, while applying the second chunk
    accepted = store.accept(many_people(TOTAL, INVALID))
    real = Service.apply_chunk
    calls = itertools.count(1)

    def flaky(self, ctx, records):  # type: ignore[no-untyped-def]
        if next(calls) == 2:
            raise RuntimeError("transient")
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", flaky)
    # When workers run until nothing is claimable
    assert drain(db, settings, NO_RETRY_DELAY) == 2
    # Then the fault was counted, and the retry went on from record 100, applying and
    # reporting every record exactly once
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["faults"], row["attempt"]) == (
        "warning",
        250,
        3,
        1,
        2,
    )
    assert_applied_and_reported_exactly_once(store, row["id"])


@pytest.mark.parametrize(
    ("first_failing_chunk", "status", "applied"),
    [(1, "error", 0), (2, "warning", 100)],
    ids=["from-the-start", "after-one-chunk"],
)
def test_a_request_that_keeps_raising_ends_with_its_remaining_records_failed(
    store,
    api,
    db: Database,
    settings: Settings,
    monkeypatch,
    caplog,
    first_failing_chunk: int,
    status: str,
    applied: int,
):
    # Given a service with a bug: it raises on every chunk from `first_failing_chunk` on
    accepted = store.accept(many_people(TOTAL, INVALID))
    real = Service.apply_chunk
    first_failing_index = (first_failing_chunk - 1) * settings.chunk_size

    def buggy(self, ctx, records):  # type: ignore[no-untyped-def]
        if records[0][0] >= first_failing_index:
            raise RuntimeError("bug")
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", buggy)
    # When workers run until nothing is claimable
    with caplog.at_level(logging.ERROR, logger="itg.worker"):
        processed = drain(db, settings, NO_RETRY_DELAY)
    # Then it was tried 3 times, the last attempt ending it rather than retrying forever
    assert processed == settings.max_attempts == 3
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["faults"], row["attempt"]) == (status, 250, 3, 3)
    assert row["finished_at"] is not None and row["lease_expires_at"] is None
    assert queue.claim_next(db, settings.lease_seconds) is None
    # and the records it could not process failed as internal errors, once each
    failed_before = [i for i in INVALID if i < first_failing_index]
    expected = [entry(i, f"M{i:03d}", "Data de admissão inválida") for i in failed_before]
    expected += [
        entry(i, f"M{i:03d}", messages.INTERNAL_ERROR) for i in range(first_failing_index, TOTAL)
    ]
    report = api.report(accepted.subunique)
    assert errors(report) == expected
    assert report["status"] == status
    assert row["failed"] == len(expected)
    assert store.people_count() == applied - len(failed_before)
    # and each fault was logged with its traceback
    tracebacks = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(tracebacks) == 3


def test_a_worker_pool_applies_each_company_in_order_and_stops_cleanly(
    store, db: Database, settings: Settings, other_company
):
    # Given, for two companies, a cost center and then people referencing it
    center = [{"codigo": "CC1", "nome": "Centro"}]
    staff = [person(f"P{i}", centro_custo="CC1") for i in range(150)]
    accepted = []
    for owner in (store.tenant, other_company):
        accepted.append((owner, store.accept(center, "costcenter", owner)))
        accepted.append((owner, store.accept(staff, "people", owner)))
    # When a pool of two workers runs until everything is final
    pool = WorkerPool(db, replace(settings, poll_seconds=0.01), 2)
    pool.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statuses = [store.request(a.subunique, owner)["status"] for owner, a in accepted]
            if all(s in ("done", "warning", "error") for s in statuses):
                break
            time.sleep(0.02)
    finally:
        pool.shutdown(timeout=10)
    # Then every request succeeded (the cost center always came first) and the pool stopped
    assert statuses == ["done"] * 4
    assert [store.people_count(owner) for owner in (store.tenant, other_company)] == [150, 150]
    assert pool_threads() == []


def test_a_pool_shut_down_mid_request_finishes_its_chunk_and_releases_it(
    store, db: Database, settings: Settings, monkeypatch
):
    # Given a 250-record request, and a pool told to stop while it applies the first chunk
    accepted = store.accept(many_people(TOTAL, INVALID))
    pool = WorkerPool(db, replace(settings, poll_seconds=0.01), 1)
    real = Service.apply_chunk
    chunks = []

    def stop_pool(self, ctx, records):  # type: ignore[no-untyped-def]
        chunks.append(records[0][0])
        pool.stop.set()
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", stop_pool)
    # When the pool runs and is then shut down
    pool.start()
    deadline = time.monotonic() + 30
    while not chunks and time.monotonic() < deadline:
        time.sleep(0.01)
    pool.shutdown(timeout=10)
    # Then the chunk in hand was committed and the request released, progress kept
    assert pool_threads() == []
    assert chunks == [0]
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["lease_expires_at"]) == (
        "queued",
        100,
        1,
        None,
    )
    assert store.people_count() == 99


def pool_threads() -> list[str]:
    """Worker threads still alive (WorkerPool names them itg-worker-N)."""
    return [t.name for t in threading.enumerate() if t.name.startswith("itg-worker-")]


@pytest.mark.parametrize(
    ("route", "payload"),
    [
        pytest.param("people", b'[{"matricula": "1"}, {]', id="undecodable-payload"),
        pytest.param("timesheets", b'[{"matricula": "1"}, {"matricula": "2"}]', id="unknown-route"),
    ],
)
def test_a_request_that_cannot_be_read_ends_after_three_faults_too(
    store, db: Database, settings: Settings, tenant, route: str, payload: bytes
):
    # Given a stored request the worker cannot even start on (e.g. a route only a newer
    # version serves, or a payload damaged in storage)
    accepted = accept_request(
        db,
        company_id=tenant.id,
        company_code=tenant.code,
        route=route,
        payload=payload,
        total=2,
        validity_seconds=900,
    )
    # When a worker runs, a bounded number of times
    worker = Worker(db, settings, retry_delays=NO_RETRY_DELAY)
    outcomes = [worker.run_once() for _ in range(6)]
    # Then it was tried three times, the third ending it with every record failed
    assert outcomes == [True, True, True, False, False, False]
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["faults"]) == ("error", 2, 2, 3)
    # with no identifier, since no service could read the records
    assert [(e["idx"], e["identifier"], e["messages"]) for e in store.errors(row["id"])] == [
        (0, "", [messages.INTERNAL_ERROR]),
        (1, "", [messages.INTERNAL_ERROR]),
    ]
