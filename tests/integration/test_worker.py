"""Worker mechanics on real SQLite (SPEC 3.2–3.3): chunks, final status, FIFO per company,
attempts and fencing of stale workers."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import select

from itg.errors import LeaseLostError
from itg.services import people
from itg.services.base import ChunkContext, Service
from itg.settings import Settings
from itg.storage import queue
from itg.storage.chunk_store import SqlChunkStore
from itg.storage.database import Database
from itg.storage.schema import requests
from itg.timeutil import utcnow
from itg.worker import Worker
from tests.builders import many_people, person

TOTAL = 250
INVALID = (10, 110, 210)  # one failing record in each of the three chunks


def test_each_chunk_commits_its_progress_and_it_is_visible_while_the_request_runs(
    store, db: Database, settings: Settings, api, monkeypatch
):
    # Given a 250-record request (chunk size 100) and a probe that looks at the stored
    # request and at GET /process from outside, just before each chunk is applied
    assert settings.chunk_size == 100
    accepted = store.accept(many_people(TOTAL, INVALID))
    seen: list[tuple[str, int, int, str, dict[str, str], list[int]]] = []
    real = Service.apply_chunk

    def probing(self, ctx, records):  # type: ignore[no-untyped-def]
        row = store.request(accepted.subunique)
        report = api.report(accepted.subunique)
        errors = [error["index"] for error in report["data"]["errors"]]
        seen.append(
            (
                row["status"],
                row["done"],
                row["failed"],
                report["status"],
                report["progress"],
                errors,
            )
        )
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", probing)
    # When one worker processes it
    assert Worker(db, settings).run_once() is True
    # Then each chunk's outcome was committed before the next one started
    assert seen == [
        ("processing", 0, 0, "processing", {"done": "0", "total": "250"}, []),
        ("processing", 100, 1, "processing", {"done": "100", "total": "250"}, [10]),
        ("processing", 200, 2, "processing", {"done": "200", "total": "250"}, [10, 110]),
    ]


@pytest.mark.parametrize(
    ("total", "chunk_size", "chunks"),
    [
        (1, 100, [(0, 1)]),
        (100, 100, [(0, 100)]),
        (101, 100, [(0, 100), (100, 1)]),
        (250, 100, [(0, 100), (100, 100), (200, 50)]),
        (7, 3, [(0, 3), (3, 3), (6, 1)]),
    ],
)
def test_records_are_applied_in_order_in_chunks_of_chunk_size(
    store,
    db: Database,
    settings: Settings,
    monkeypatch,
    total: int,
    chunk_size: int,
    chunks: list[tuple[int, int]],
):
    # Given a request of `total` records and a worker with ITG_CHUNK_SIZE=`chunk_size`
    accepted = store.accept(many_people(total))
    seen: list[tuple[int, int]] = []
    real = Service.apply_chunk

    def recording(self, ctx, records):  # type: ignore[no-untyped-def]
        indexes = [index for index, _ in records]
        assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
        seen.append((indexes[0], len(indexes)))
        return real(self, ctx, records)

    monkeypatch.setattr(Service, "apply_chunk", recording)
    # When a worker processes it
    assert Worker(db, replace(settings, chunk_size=chunk_size)).run_once() is True
    # Then it went through consecutive chunks of at most `chunk_size`, and finished
    assert seen == chunks
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"]) == ("done", total, 0)
    assert store.people_count() == total


@pytest.mark.parametrize(
    ("invalid", "status"),
    [((), "done"), (INVALID, "warning"), (tuple(range(TOTAL)), "error")],
    ids=["all-succeed", "some-fail", "all-fail"],
)
def test_the_final_chunk_sets_the_final_status_and_finished_at(
    store,
    db: Database,
    settings: Settings,
    api,
    invalid: tuple[int, ...],
    status: str,
):
    # Given a 250-record request with `invalid` failing records
    accepted = store.accept(many_people(TOTAL, invalid))
    # When a worker processes it
    assert Worker(db, settings).run_once() is True
    # Then the request row holds the final state, and the lease is gone
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"], row["attempt"], row["faults"]) == (
        status,
        TOTAL,
        len(invalid),
        1,
        0,
    )
    assert row["lease_expires_at"] is None
    assert row["started_at"] <= row["finished_at"] <= utcnow()
    assert store.people_count() == TOTAL - len(invalid)
    # and the monitor reports it finished
    report = api.report(accepted.subunique)
    assert report["status"] == status
    assert report["progress"] == {"done": "250", "total": "250"}
    assert report["finished_at"] == row["finished_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [error["index"] for error in report["data"]["errors"]] == list(invalid)
    # and nothing is left to claim
    assert queue.claim_next(db, settings.lease_seconds) is None


def test_requests_of_one_company_are_claimed_in_order_and_companies_in_parallel(
    store, db: Database, settings: Settings, other_company
):
    # Given two requests of one company, then one of another company
    first = store.accept([person("1")])
    second = store.accept([person("2")])
    other = store.accept([person("1")], tenant=other_company)
    ids = {
        "first": store.request(first.subunique)["id"],
        "second": store.request(second.subunique)["id"],
        "other": store.request(other.subunique, other_company)["id"],
    }
    # When workers claim while the first request is processing
    claim_a = queue.claim_next(db, settings.lease_seconds)
    claim_b = queue.claim_next(db, settings.lease_seconds)
    claim_c = queue.claim_next(db, settings.lease_seconds)
    # Then the oldest request is claimed, the other company's runs in parallel, and the
    # company's second request waits
    assert claim_a is not None and claim_a.request_id == ids["first"]
    assert claim_b is not None and claim_b.request_id == ids["other"]
    assert claim_c is None
    assert store.request(second.subunique)["status"] == "queued"
    # When the first request finishes, the second becomes claimable
    Worker(db, settings).process(claim_a, threading.Event())
    claim_d = queue.claim_next(db, settings.lease_seconds)
    assert claim_d is not None and claim_d.request_id == ids["second"]


def test_a_claim_sets_processing_with_a_lease_and_increments_the_attempt(
    store, db: Database, settings: Settings
):
    # Given a queued request
    accepted = store.accept([person("1")])
    before = store.request(accepted.subunique)
    assert (before["status"], before["attempt"], before["lease_expires_at"]) == ("queued", 0, None)
    # When a worker claims it
    claimed_at = utcnow()
    claim = queue.claim_next(db, settings.lease_seconds)
    # Then it is processing under attempt 1 with a lease of ITG_LEASE_SECONDS
    assert claim is not None
    assert (claim.request_id, claim.attempt, claim.done, claim.total) == (before["id"], 1, 0, 1)
    row = store.request(accepted.subunique)
    assert (row["status"], row["attempt"]) == ("processing", 1)
    lease = (row["lease_expires_at"] - claimed_at).total_seconds()
    assert settings.lease_seconds - 5 <= lease <= settings.lease_seconds + 5
    # While the lease holds, nobody else can claim it
    assert queue.claim_next(db, settings.lease_seconds) is None
    # When the lease runs out, it is reclaimed under attempt 2
    store.expire_lease(claim.request_id)
    reclaim = queue.claim_next(db, settings.lease_seconds)
    assert reclaim is not None
    assert (reclaim.request_id, reclaim.attempt) == (claim.request_id, 2)
    assert store.request(accepted.subunique)["attempt"] == 2


def test_fencing_with_the_current_claim_renews_the_lease(store, db: Database, settings: Settings):
    # Given a claimed request whose lease is about to run out
    accepted = store.accept([person("1")])
    claim = queue.claim_next(db, settings.lease_seconds)
    assert claim is not None
    store.expire_lease(claim.request_id)
    # When its holder fences (before writing a chunk)
    with db.write() as conn:
        now = queue.fence(conn, claim, settings.lease_seconds)
    # Then the lease runs from now again, and the request cannot be reclaimed
    lease = store.request(accepted.subunique)["lease_expires_at"]
    assert (lease - now).total_seconds() == settings.lease_seconds
    assert queue.claim_next(db, settings.lease_seconds) is None


def test_a_stale_worker_cannot_write_after_its_request_was_reclaimed(
    store, db: Database, settings: Settings
):
    # Given a request claimed by a worker that got stuck, then reclaimed by another
    records = many_people(TOTAL, INVALID)
    accepted = store.accept(records)
    stale = queue.claim_next(db, settings.lease_seconds)
    assert stale is not None
    store.expire_lease(stale.request_id)
    current = queue.claim_next(db, settings.lease_seconds)
    assert current is not None and current.attempt == stale.attempt + 1
    # When the stale worker writes a chunk in a transaction guarded by its old claim
    chunk = list(enumerate(records[:100]))
    with pytest.raises(LeaseLostError), db.write() as conn:
        ctx = ChunkContext(SqlChunkStore(conn, store.tenant.id), utcnow())
        people.SERVICE.apply_chunk(ctx, chunk)
        queue.fence(conn, stale, settings.lease_seconds)
        queue.advance(conn, stale, 100, 1, [])
    # and when its loop carries on with the request
    Worker(db, settings).process(stale, threading.Event())
    # Then nothing it tried to write is stored
    row = store.request(accepted.subunique)
    assert (row["status"], row["attempt"], row["done"], row["failed"], row["faults"]) == (
        "processing",
        2,
        0,
        0,
        0,
    )
    assert store.people_count() == 0
    assert store.errors(row["id"]) == []
    # When the current holder processes the request, it is applied once, completely
    Worker(db, settings).process(current, threading.Event())
    row = store.request(accepted.subunique)
    assert (row["status"], row["done"], row["failed"]) == ("warning", TOTAL, len(INVALID))
    assert store.people_count() == TOTAL - len(INVALID)
    assert [error["idx"] for error in store.errors(row["id"])] == list(INVALID)


def test_a_stale_claim_cannot_release_or_record_a_fault(store, db: Database, settings: Settings):
    # Given a request reclaimed from a stale worker
    accepted = store.accept([person("1")])
    stale = queue.claim_next(db, settings.lease_seconds)
    assert stale is not None
    store.expire_lease(stale.request_id)
    current = queue.claim_next(db, settings.lease_seconds)
    assert current is not None
    # When the stale worker releases it and reports a fault
    queue.release(db, stale)
    queue.record_fault(db, stale, retry_delay_seconds=0)
    # Then the current holder's claim is untouched
    with db.read() as conn:
        row = conn.execute(
            select(requests.c.status, requests.c.attempt, requests.c.faults).where(
                requests.c.id == current.request_id
            )
        ).one()
    assert tuple(row) == ("processing", 2, 0)
    assert store.request(accepted.subunique)["lease_expires_at"] is not None
