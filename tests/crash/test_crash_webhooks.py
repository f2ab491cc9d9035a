"""Completion webhooks under crashes and races (SPEC 1.12, 3.3–3.4), with real processes and a
real local receiver (tests/webhook_receiver.py):

- a worker killed (SIGKILL) right after the transaction that finished a process, before any
  delivery: the event was written with that status (the outbox), so after a restart it is
  still delivered, once, signed;
- two `itg worker` processes on one PostgreSQL never send one event twice, nor at once: each
  event is claimed with a lease.
"""

from __future__ import annotations

import collections
import signal
import time

import pytest

from tests import webhook_receiver as receivers
from tests.builders import person
from tests.crash.faulty_itg import parse
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.engines import POSTGRES_ONLY
from tests.faults import FaultHooks
from tests.processes import Itg, WorkerProcess, launch, spawn, wait_until
from tests.webhook_receiver import Answer, Receiver, add_endpoint, deliveries, verified

pytestmark = pytest.mark.e2e

webhook_receiver = receivers.webhook_receiver

DELIVERY_SECONDS = 30.0
KILL_AFTER_FINISH = FaultHooks(kill_after_finish=True)


def test_the_launcher_passes_the_kill_after_finish_fault():
    assert parse([*KILL_AFTER_FINISH.options(), "--", "worker"]) == (KILL_AFTER_FINISH, ["worker"])


def test_a_worker_killed_right_after_finishing_a_process_still_delivers_its_event_on_restart(
    itg: Itg, webhook_receiver: Receiver
):
    # Given an endpoint, and a request accepted by an API-only server
    company = itg.credentials.company
    endpoint = add_endpoint(itg, company, webhook_receiver.url("/hook"))
    server = itg.serve(workers=0)
    with server.client() as client:
        sent = post(client, "people", [person("K1"), person("K2")], ACCEPTED_PEOPLE)

    # When a worker applies it and dies (SIGKILL) right after the final chunk committed
    # (spawned by hand: it may die before it logs that it started, which `itg.worker` awaits)
    launcher, env = launch(itg.env(), KILL_AFTER_FINISH)
    log_path = itg.workdir / "doomed-worker.log"
    command = [*launcher, "worker"]
    doomed = WorkerProcess(
        spawn(command, cwd=itg.workdir, env=env, log_path=log_path), log_path, "itg worker"
    )
    try:
        assert doomed.process.wait(timeout=DELIVERY_SECONDS) == -signal.SIGKILL, doomed.log
    finally:
        doomed.end()
    # Then the process is final and its event is pending, never sent
    assert itg.request(sent["subunique"])["status"] == "done"
    (pending,) = deliveries(itg, company)
    assert (pending["status"], pending["attempts"]) == ("pending", []), pending
    assert pending["subunique"] == sent["subunique"]
    assert webhook_receiver.received() == []

    # When a worker starts again
    worker = itg.worker()
    (received,) = webhook_receiver.wait_for(1, timeout=DELIVERY_SECONDS)
    # Then the event is delivered, signed, describing the process
    event = verified(received, endpoint)
    assert received.webhook_id == pending["event_id"]
    assert (event["data"]["subunique"], event["data"]["status"]) == (sent["subunique"], "done")
    wait_until(
        lambda: deliveries(itg, company)[0]["status"] == "delivered",
        DELIVERY_SECONDS,
        "the delivery marked delivered",
        interval=0.3,
    )
    # And once: one event id, one request
    time.sleep(1.0)
    assert [r.webhook_id for r in webhook_receiver.received()] == [pending["event_id"]]
    worker.stop_cleanly()
    server.stop_cleanly()


COMPANIES = ("a000001", "b000002", "c000003")
REQUESTS_PER_COMPANY = 3
ENDPOINTS_PER_COMPANY = 2
# Each delivery is held 0.5 s, then answered on the next whole second: about 1 s, and every
# sender of both processes comes back, and claims again, at the same instant.
SLOW = Answer(200, hold=0.5, align=1.0)


@POSTGRES_ONLY
def test_two_worker_processes_never_deliver_one_event_twice(itg: Itg, webhook_receiver: Receiver):
    # Given a receiver that holds every delivery about 1 s before answering 200 (all at
    # once), two endpoints per company for three companies
    webhook_receiver.script("/slow", then=SLOW)
    tenants = [itg.credentials, itg.company(COMPANIES[1]), itg.company(COMPANIES[2])]
    endpoints = {
        add_endpoint(itg, tenant.company, webhook_receiver.url("/slow")).id: tenant.company
        for tenant in tenants
        for _ in range(ENDPOINTS_PER_COMPANY)
    }
    # And two worker processes on the one PostgreSQL, both running before any event exists,
    # each with one sender: two deliveries in flight at once are one of each process
    server = itg.serve(workers=0)
    workers = itg.workers(2, concurrency=2, webhook_senders=1)

    # When 9 processes finish: 18 events to deliver
    for _ in range(REQUESTS_PER_COMPANY):
        for tenant in tenants:
            with server.client(tenant) as client:
                post(client, "people", [person(f"W{time.monotonic_ns()}")], ACCEPTED_PEOPLE)
    events = len(tenants) * REQUESTS_PER_COMPANY * ENDPOINTS_PER_COMPANY
    webhook_receiver.wait_for(events, timeout=120)
    wait_until(
        lambda: all(
            d["status"] == "delivered"
            for tenant in tenants
            for d in deliveries(itg, tenant.company)
        ),
        120,
        "every delivery marked delivered",
        interval=0.5,
    )
    time.sleep(1.5)  # a second sending of any event would have arrived by now

    # Then every event arrived exactly once
    received = webhook_receiver.received()
    counts = collections.Counter(r.webhook_id for r in received)
    assert len(counts) == events and set(counts.values()) == {1}, counts
    # And no two deliveries of one id were ever in flight together (implied, said anyway)
    spans = sorted((r.webhook_id, r.arrived, r.ended or float("inf")) for r in received)
    for (id1, _, end1), (id2, start2, _) in zip(spans, spans[1:], strict=False):
        assert id1 != id2 or start2 >= end1, (id1, spans)
    # And each was delivered at its first attempt, to its own endpoint, by either worker
    for tenant in tenants:
        for shown in deliveries(itg, tenant.company):
            assert endpoints[shown["endpoint_id"]] == tenant.company
            assert [(t["attempt"], t["status_code"]) for t in shown["attempts"]] == [(1, 200)]
    # And both processes did deliver at the same time (the race was real)
    in_flight = max(
        sum(1 for r in received if r.arrived <= moment < (r.ended or float("inf")))
        for moment in (r.arrived for r in received)
    )
    assert in_flight >= 2, in_flight
    for worker in workers:
        worker.stop_cleanly()
    server.stop_cleanly()
