"""The webhook outbox and its delivery bookkeeping (SPEC 1.12), on both engines.

One event per endpoint of the company is written in the transaction that gives a process its
final status, whichever way it ends; delivery claims events under a lease, retries on the
schedule and gives up. Sending goes through httpx's MockTransport here (the real receiver,
kill -9 and two processes are in tests/e2e and tests/crash); each request it sees is verified
with the `standardwebhooks` package, not with itg's own code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from itg.delivery import Deliverer
from itg.domain.webhook_signature import new_secret
from itg.settings import Settings
from itg.storage import queue, webhooks
from itg.storage.cancel import CancelOutcome, request_cancel
from itg.storage.database import Database
from itg.storage.purge import purge
from itg.storage.schema import (
    requests,
    webhook_attempts,
    webhook_endpoints,
    webhook_events,
    windows,
)
from itg.timeutil import iso
from itg.worker import Worker
from tests import clocks
from tests.builders import many_people
from tests.driving import recording_statements
from tests.faults import FaultHooks
from tests.tenants import Tenant

clock = clocks.clock

Record = dict[str, Any]


# -- helpers ---------------------------------------------------------------------------------


def add_endpoint(db: Database, tenant: Tenant, url: str = "https://hooks.example/itg") -> int:
    return webhooks.add_endpoint(db, tenant.code, url, new_secret()).id


def events(db: Database) -> list[Record]:
    with db.read() as conn:
        rows = conn.execute(select(webhook_events).order_by(webhook_events.c.id)).all()
    return [dict(row._mapping) for row in rows]


def attempts(db: Database) -> list[Record]:
    with db.read() as conn:
        rows = conn.execute(
            select(webhook_attempts).order_by(
                webhook_attempts.c.event_id, webhook_attempts.c.attempt
            )
        ).all()
    return [dict(row._mapping) for row in rows]


def expected_body(store, tenant: Tenant, subunique: str, failed: int) -> Record:  # type: ignore[no-untyped-def]
    """The body SPEC 1.12 describes, built from the stored request row."""
    row = store.request(subunique, tenant)
    with store.db.read() as conn:
        unique = conn.execute(
            select(windows.c.unique_code).where(windows.c.id == row["window_id"])
        ).scalar_one()
    return {
        "type": "process.finished",
        "timestamp": iso(row["finished_at"]),
        "data": {
            "company": tenant.code,
            "unique": unique,
            "subunique": subunique,
            "route": row["route"],
            "status": row["status"],
            "progress": {"done": str(row["done"]), "total": str(row["total"])},
            "errors": failed,
            "created_at": iso(row["created_at"]),
            "finished_at": iso(row["finished_at"]),
        },
    }


def run_to_the_end(db: Database, settings: Settings, hooks: FaultHooks) -> None:
    worker = Worker(db, settings, hooks=hooks, retry_delays=(0.0, 0.0))
    while worker.run_once():
        pass


class Receiver:
    """The other end, in-process: answers each attempt from `answers` (the last repeats),
    verifying every request with the standardwebhooks package first."""

    def __init__(self, secret_of: Callable[[str], str], answers: list[int | Exception]) -> None:
        self.secret_of = secret_of
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        Webhook(self.secret_of(str(request.url))).verify(body, dict(request.headers))
        self.seen.append(request)
        answer = self.answers[min(len(self.seen), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)


class Counted:
    """Stands in for Metrics: what the delivery loop counted."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def webhook_delivery(self, outcome: str) -> None:
        self.outcomes.append(outcome)


# -- the outbox ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invalid", "status"), [((), "done"), ((1,), "warning"), ((0, 1, 2), "error")]
)
def test_a_finished_process_writes_one_event_per_endpoint_of_its_company(
    store, api, db: Database, tenant: Tenant, other_company: Tenant, invalid, status
):
    # Given two endpoints of the tenant and one of another company
    mine = {add_endpoint(db, tenant, "https://a.example/"), add_endpoint(db, tenant, "http://b/")}
    add_endpoint(db, other_company, "https://other.example/")
    # When a process of the tenant ends
    report = api.apply("people", many_people(3, invalid=invalid))
    # Then one pending event per endpoint of the tenant holds the documented body
    written = events(db)
    assert report["status"] == status
    assert {event["endpoint_id"] for event in written} == mine
    assert len(written) == 2
    body = expected_body(store, tenant, report["subunique"], len(invalid))
    for event in written:
        assert orjson.loads(event["body"]) == body
        assert (event["status"], event["attempts"], event["subunique"]) == (
            "pending",
            0,
            report["subunique"],
        )
        assert event["event_id"].startswith("msg_")
    assert written[0]["event_id"] != written[1]["event_id"]
    assert body["data"]["progress"] == {"done": "3", "total": "3"}


def test_a_process_ends_without_events_when_its_company_has_no_endpoint(
    api, db: Database, tenant: Tenant, other_company: Tenant
):
    # Given an endpoint of another company only
    add_endpoint(db, other_company)
    subunique = api.send("people", many_people(3))
    # When the process ends
    with recording_statements(db, keep=lambda sql: "webhook" in sql) as statements:
        api.run_worker()
    # Then no event was written, and the outbox cost one statement (the endpoint lookup)
    assert api.report(subunique)["status"] == "done"
    assert events(db) == []
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_cancelling_a_queued_process_writes_its_events(store, db: Database, tenant: Tenant):
    # Given an endpoint and a queued request
    add_endpoint(db, tenant)
    accepted = store.accept(many_people(3))
    # When it is canceled before any worker took it
    assert request_cancel(db, store.request(accepted.subunique)["id"]) is CancelOutcome.CANCELED
    # Then its event says canceled, nothing processed
    (event,) = events(db)
    body = orjson.loads(event["body"])
    assert body == expected_body(store, tenant, accepted.subunique, 0)
    assert (body["data"]["status"], body["data"]["progress"]) == (
        "canceled",
        {"done": "0", "total": "3"},
    )


def test_a_cancel_seen_at_a_chunk_boundary_writes_its_events(
    store, db: Database, tenant: Tenant, settings: Settings
):
    # Given an endpoint and a request of 5 records in chunks of 2, stopped after one chunk
    add_endpoint(db, tenant)
    small_chunks = replace(settings, chunk_size=2)
    accepted = store.accept(many_people(5, invalid=(1,)))
    stop = threading.Event()

    class StopAfterChunk(FaultHooks):
        def after_chunk_applied(self, service, chunk):  # type: ignore[no-untyped-def]
            stop.set()

    worker = Worker(db, small_chunks, hooks=StopAfterChunk())
    claim = queue.claim_next(db, small_chunks.lease_seconds)
    assert claim is not None
    worker.process(claim, stop)
    assert events(db) == []  # released, not finished
    # When it is claimed again and canceled while held
    claim = queue.claim_next(db, small_chunks.lease_seconds)
    assert claim is not None
    assert request_cancel(db, store.request(accepted.subunique)["id"]) is CancelOutcome.REQUESTED
    worker.process(claim, threading.Event())
    # Then it ends canceled at 2 of 5, with one event
    (event,) = events(db)
    body = orjson.loads(event["body"])
    assert body == expected_body(store, tenant, accepted.subunique, 1)
    assert (body["data"]["status"], body["data"]["progress"], body["data"]["errors"]) == (
        "canceled",
        {"done": "2", "total": "5"},
        1,
    )


@pytest.mark.parametrize("minimal", [False, True], ids=["error_entries", "minimal_end"])
def test_a_process_ended_after_repeated_faults_writes_its_events(
    store, db: Database, tenant: Tenant, settings: Settings, minimal: bool
):
    # Given an endpoint and a request whose second record breaks the service every time
    add_endpoint(db, tenant)
    accepted = store.accept(many_people(3))
    hooks = FaultHooks(fail_identifier="M001", fail_error_entries=minimal)
    # When the worker's attempts are spent (SPEC 3.4)
    run_to_the_end(db, settings, hooks)
    # Then the request ended `error` and its event was written with that status
    (event,) = events(db)
    body = orjson.loads(event["body"])
    assert body == expected_body(store, tenant, accepted.subunique, 3)
    assert (body["data"]["status"], body["data"]["errors"]) == ("error", 3)


# -- claiming --------------------------------------------------------------------------------


def finished_events(api, db: Database, tenant: Tenant, endpoints: int, processes: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(endpoints):
        add_endpoint(db, tenant, f"https://h{n}.example/")
    for _ in range(processes):
        api.send("people", many_people(1))
    api.run_worker()
    assert len(events(db)) == endpoints * processes


def test_a_claimed_event_is_not_claimed_again_until_its_lease_runs_out(
    api, db: Database, tenant: Tenant, clock
):
    # Given one event on each of two endpoints
    finished_events(api, db, tenant, endpoints=2, processes=1)
    # When a sender claims them
    first = webhooks.claim_due(db, 10, 30)
    # Then both are its, at attempt 1, and no other claim gets them while the lease holds
    assert sorted(d.attempt for d in first) == [1, 1]
    assert webhooks.claim_due(db, 10, 30) == []
    clock.advance(29)
    assert webhooks.claim_due(db, 10, 30) == []
    # When the lease runs out (the sender died), another claim takes them at attempt 2
    clock.advance(2)
    second = webhooks.claim_due(db, 10, 30)
    assert sorted(d.id for d in second) == sorted(d.id for d in first)
    assert [d.attempt for d in second] == [2, 2]
    # And the stale sender can no longer record its outcome (fenced by the attempt)
    stale = first[0]
    recorded = webhooks.record_attempt(
        db, stale, status_code=200, error=None, delivered=True, retry_at=None
    )
    assert recorded is None
    assert attempts(db) == []


def test_a_claim_takes_one_event_per_endpoint_and_skips_busy_endpoints(
    api, db: Database, tenant: Tenant
):
    # Given two events on each of two endpoints
    finished_events(api, db, tenant, endpoints=2, processes=2)
    endpoint_ids = sorted({event["endpoint_id"] for event in events(db)})
    # When a claim asks for 10, while this process sends to the first endpoint already
    claimed = webhooks.claim_due(db, 10, 30, busy_endpoints={endpoint_ids[0]})
    # Then it holds one event, of the other endpoint
    assert [d.endpoint_id for d in claimed] == [endpoint_ids[1]]
    # And a claim without busy endpoints takes one of each endpoint's remaining events
    assert sorted(d.endpoint_id for d in webhooks.claim_due(db, 10, 30)) == endpoint_ids


def test_concurrent_claims_never_share_an_event(api, db: Database, tenant: Tenant):
    # Given 12 events on 12 endpoints
    finished_events(api, db, tenant, endpoints=12, processes=1)
    taken: list[int] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def sender() -> None:
        try:
            while claimed := webhooks.claim_due(db, 2, 60):
                with lock:
                    taken.extend(d.id for d in claimed)
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            failures.append(exc)

    # When four senders claim at once until nothing is due
    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # Then every event was claimed exactly once
    assert failures == []
    assert sorted(taken) == sorted(event["id"] for event in events(db))


# -- retries and giving up -------------------------------------------------------------------


def deliverer(db: Database, settings: Settings, receiver: Receiver, counted: Counted) -> Deliverer:
    return Deliverer(
        db,
        replace(
            settings,
            webhook_retry_seconds=(5.0, 30.0),
            webhook_give_up_seconds=100.0,
            webhook_timeout_seconds=10.0,
        ),
        counted,  # type: ignore[arg-type]
        transport=httpx.MockTransport(receiver),
    )


def secret_lookup(db: Database) -> Callable[[str], str]:
    def secret_of(url: str) -> str:
        with db.read() as conn:
            return str(
                conn.execute(
                    select(webhook_endpoints.c.secret).where(webhook_endpoints.c.url == url)
                ).scalar_one()
            )

    return secret_of


def test_failed_attempts_are_retried_on_the_schedule_then_given_up(
    api, db: Database, tenant: Tenant, settings: Settings, clock
):
    # Given an event and a receiver that always answers 500
    finished_events(api, db, tenant, endpoints=1, processes=1)
    receiver = Receiver(secret_lookup(db), [500])
    counted = Counted()
    sender = deliverer(db, settings, receiver, counted)
    (event,) = events(db)
    start = event["created_at"]
    # When it is sent now, then whenever it is due, under the 5 s, 30 s (repeating) schedule
    timeline: list[tuple[int, int, str]] = []
    for elapsed in (0, 4, 5, 34, 35, 65, 95, 200):
        clock.now = start + timedelta(seconds=elapsed)
        sent = sender.deliver_once()
        (event,) = events(db)
        timeline.append((elapsed, sent, event["status"]))
    # Then it was tried at 0, 5, 35, 65 and 95 s; the retry after 95 s would come past the
    # give-up time (100 s), so it failed there
    assert timeline == [
        (0, 1, "pending"),
        (4, 0, "pending"),
        (5, 1, "pending"),
        (34, 0, "pending"),
        (35, 1, "pending"),
        (65, 1, "pending"),
        (95, 1, "failed"),
        (200, 0, "failed"),
    ]
    assert counted.outcomes == ["retried"] * 4 + ["failed"]
    # And every attempt carried the same webhook-id and body, and was recorded
    assert {r.headers["webhook-id"] for r in receiver.seen} == {event["event_id"]}
    assert {r.content for r in receiver.seen} == {event["body"]}
    assert [(a["attempt"], a["status_code"], a["error"]) for a in attempts(db)] == [
        (n, 500, None) for n in range(1, 6)
    ]
    assert event["finished_at"] == start + timedelta(seconds=95)
    sender.client.close()


def test_a_2xx_after_failures_delivers_and_errors_are_recorded(
    api, db: Database, tenant: Tenant, settings: Settings, clock
):
    # Given a receiver refusing the connection, then answering 302, then 204
    finished_events(api, db, tenant, endpoints=1, processes=1)
    refused = httpx.ConnectError("connection refused")
    receiver = Receiver(secret_lookup(db), [refused, 302, 204])
    counted = Counted()
    sender = deliverer(db, settings, receiver, counted)
    # When the event is sent whenever it is due
    for _ in range(3):
        assert sender.deliver_once() == 1
        clock.advance(30)
    # Then the third attempt delivered it (a redirect is not followed: it is a failure)
    (event,) = events(db)
    assert event["status"] == "delivered"
    assert counted.outcomes == ["retried", "retried", "delivered"]
    assert [(a["status_code"], a["error"]) for a in attempts(db)] == [
        (None, "ConnectError: connection refused"),
        (302, None),
        (204, None),
    ]
    # And `deliveries` lists it so
    (state,) = webhooks.list_deliveries(db, tenant.code)
    assert (state.status, state.next_attempt_at, len(state.attempts)) == ("delivered", None, 3)
    assert webhooks.list_deliveries(db, tenant.code, failed_only=True) == []
    sender.client.close()


# -- purge -----------------------------------------------------------------------------------


def test_the_purge_removes_ended_events_past_retention_and_keeps_pending_ones(
    api, db: Database, tenant: Tenant, settings: Settings, clock
):
    # Given three events: one delivered, one failed, one pending
    finished_events(api, db, tenant, endpoints=3, processes=1)
    sender = deliverer(db, settings, Receiver(secret_lookup(db), [200]), Counted())
    ids = [event["id"] for event in events(db)]
    with db.write() as conn:
        conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id == ids[1])
            .values(status="failed", finished_at=clock.now)
        )
        conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id == ids[2])
            .values(next_attempt_at=clock.now + timedelta(days=30))
        )
    assert sender.deliver_once() == 1  # the first one
    assert len(attempts(db)) == 1
    # When the purge runs with a cutoff before they ended, then one after
    purge(db, clock.now - timedelta(seconds=1))
    assert len(events(db)) == 3
    purge(db, clock.now + timedelta(seconds=1))
    # Then the delivered and failed events went, with their attempts; the pending one stays,
    # its process gone with the purge (reference cleared)
    (left,) = events(db)
    assert (left["id"], left["status"], left["request_id"]) == (ids[2], "pending", None)
    assert attempts(db) == []
    with db.read() as conn:
        assert conn.execute(select(requests.c.id)).all() == []
    sender.client.close()


def test_an_idle_poll_reads_once_and_writes_nothing(api, db: Database, tenant: Tenant):
    # Given an event already leased (nothing due)
    finished_events(api, db, tenant, endpoints=1, processes=1)
    assert len(webhooks.claim_due(db, 4, 60)) == 1
    # When a sender polls
    with recording_statements(db) as statements:
        assert webhooks.claim_due(db, 4, 60) == []
    # Then it read the pending events once and took no write lock (SQLite's BEGIN IMMEDIATE)
    assert [s.split()[0].upper() for s in statements if s.split()[0].upper() != "BEGIN"] == [
        "SELECT"
    ], statements
    assert not any("IMMEDIATE" in s.upper() for s in statements), statements


def test_a_hanging_receiver_holds_one_sender_while_others_deliver(
    api, db: Database, tenant: Tenant, settings: Settings
):
    # Given three events for a receiver that hangs, and one for a receiver that answers
    add_endpoint(db, tenant, "https://hangs.example/")
    for _ in range(2):
        api.send("people", many_people(1))
    api.run_worker()
    add_endpoint(db, tenant, "https://answers.example/")
    api.send("people", many_people(1))
    api.run_worker()
    release = threading.Event()
    hung: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        if request.url.host == "hangs.example":
            hung.append(request.headers["webhook-id"])
            release.wait(60)
        return httpx.Response(204)

    sender = Deliverer(
        db,
        replace(settings, webhook_senders=3, poll_seconds=0.05),
        Counted(),  # type: ignore[arg-type]
        transport=httpx.MockTransport(receiver),
    )
    # When the delivery loop runs with three senders
    with sender:
        # Then the answering endpoint gets its event while the hanging one holds one sender
        assert _wait_for(lambda: _statuses(db).count("delivered") == 1 and len(hung) == 1)
        # and its other events wait, although two senders are free (one send per endpoint)
        time.sleep(0.5)
        assert len(hung) == 1
        # When the receiver answers, its events follow one after the other
        release.set()
        assert _wait_for(lambda: _statuses(db) == ["delivered"] * 4), _statuses(db)
    assert len(set(hung)) == 3


def _statuses(db: Database) -> list[str]:
    return [event["status"] for event in events(db)]


def _wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
