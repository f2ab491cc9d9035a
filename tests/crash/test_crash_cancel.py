"""kill -9 of a worker that held a request when its cancel was asked (SPEC 1.9, 3.4): after a
restart the request ends `canceled`, the chunks committed before stay applied and reported,
and nothing after them is applied."""

from __future__ import annotations

import os
import signal

import pytest

from itg.client import Client
from tests.builders import person
from tests.faults import FaultHooks
from tests.processes import EXIT_SECONDS, Itg, wait_until

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 2  # the killed worker's claim is soon reclaimed
RECORDS = 1000  # 10 chunks of 100
SLOW_CHUNKS = FaultHooks(chunk_delay_seconds=0.3)  # each chunk's transaction stays open 0.3 s


def test_a_cancel_asked_of_a_worker_that_then_dies_ends_the_request_canceled(itg: Itg):
    # Given a server whose embedded worker applies a request of 1000 people, slowly
    # (embedded: on SQLite, a worker of another process would hold the one writer between its
    # chunks and the cancel would wait for the end)
    server = itg.serve(workers=1, faults=SLOW_CHUNKS, lease_seconds=LEASE_SECONDS)
    creds = server.credentials
    people = [person(f"P{n:04d}") for n in range(RECORDS)]
    with Client(server.base_url, creds.username, creds.password) as client:
        [accepted] = client.send("people", people)
        sub = accepted.subunique
        wait_until(lambda: itg.request(sub)["done"] >= 200, 60, "two chunks committed")
        # When its cancel is asked while the worker holds it, and the server is killed
        answer = client.cancel(sub)
    assert (answer["status"], answer["cancel_requested"]) == ("processing", True)
    os.kill(server.pid, signal.SIGKILL)
    server.process.wait(timeout=EXIT_SECONDS)
    committed = itg.request(sub)["done"]
    # And a new server with its worker starts
    restarted = itg.serve(workers=1, lease_seconds=LEASE_SECONDS)
    with Client(restarted.base_url, creds.username, creds.password) as client:
        report = client.wait(sub, timeout=60)
    # Then the request ended canceled at the chunks committed before the kill
    assert report["status"] == "canceled"
    assert report["cancel_requested"] is True
    assert report["progress"] == {"done": str(committed), "total": str(RECORDS)}
    assert committed % 100 == 0 and 200 <= committed < RECORDS
    # And exactly those people were applied, each once
    applied = sorted(matricula for _, matricula, _ in itg.people())
    assert applied == [f"P{n:04d}" for n in range(committed)]
