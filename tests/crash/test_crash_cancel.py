"""kill -9 of a worker that held a request when its cancel was asked (SPEC 1.9, 3.4): after a
restart the request ends `canceled`, the chunks committed before stay applied and reported,
and nothing after them is applied."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest

from itg.client import Client
from tests.builders import person
from tests.faults import FaultHooks
from tests.processes import EXIT_SECONDS, Itg, wait_until

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 2  # the killed worker's claim is soon reclaimed
RECORDS = 1000  # 10 chunks of 100
# Each chunk's transaction stays open 1 s: the cancel waits for it (the request's row is
# locked on PostgreSQL; SQLite has one writer), and the worker is killed meanwhile.
SLOW_CHUNKS = FaultHooks(chunk_delay_seconds=1.0)


def test_a_worker_killed_after_a_cancel_was_asked_leaves_the_request_canceled(itg: Itg):
    # Given an API-only server and a slow worker process applying a request of 1000 people
    server = itg.serve(workers=0)
    worker = itg.worker(faults=SLOW_CHUNKS, lease_seconds=LEASE_SECONDS)
    creds = server.credentials
    people = [person(f"P{n:04d}") for n in range(RECORDS)]
    answers: list[dict[str, Any]] = []
    with Client(server.base_url, creds.username, creds.password) as client:
        [accepted] = client.send("people", people)
        sub = accepted.subunique
        wait_until(lambda: itg.request(sub)["done"] >= 200, 60, "two chunks committed")
        # When its cancel is asked (it waits for the chunk the worker is in) and the worker is
        # killed before that chunk commits
        asking = threading.Thread(target=lambda: answers.append(client.cancel(sub)))
        asking.start()
        asking.join(timeout=0.3)
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(timeout=EXIT_SECONDS)
        asking.join(timeout=60)
        [answer] = answers
        # (the dead worker's chunk was rolled back: the answer is the request as committed)
        assert answer["cancel_requested"] is True
        assert answer["status"] in ("processing", "canceled")
        committed = itg.request(sub)["done"]
        # And a new worker starts
        itg.worker(lease_seconds=LEASE_SECONDS)
        report = client.wait(sub, timeout=60)
    # Then the request ended canceled at the chunks committed before the kill
    assert report["status"] == "canceled"
    assert report["cancel_requested"] is True
    assert report["progress"] == {"done": str(committed), "total": str(RECORDS)}
    assert committed % 100 == 0 and 200 <= committed < RECORDS
    # And exactly those people were applied, each once
    applied = sorted(matricula for _, matricula, _ in itg.people())
    assert applied == [f"P{n:04d}" for n in range(committed)]
