"""kill -9 of `itg serve` while clients are posting (SPEC 1.4, 6): a request that was answered
200 is stored and processed after a restart; a request that got no answer is either stored
whole or not at all — never partly, never twice."""

from __future__ import annotations

import collections
import os
import random
import signal
import threading
import time

import httpx
import orjson
import pytest

from tests.builders import person
from tests.crash.helpers import body
from tests.processes import EXIT_SECONDS, Itg, wait_until

pytestmark = pytest.mark.e2e

THREADS = 4
# The embedded worker's claim dies with the server: a short lease lets the restarted server
# reclaim it soon (FIFO holds the company's later requests behind it until then).
LEASE_SECONDS = 2


def test_killing_the_server_while_clients_post_keeps_every_answered_request(itg: Itg):
    # Given a server (with its embedded worker) and 4 clients posting people in a loop, each
    # request of 1 to 120 records whose matrículas name the request
    server = itg.serve(workers=1, lease_seconds=LEASE_SECONDS)
    sent: dict[str, list[dict[str, object]]] = {}
    answered: dict[str, str] = {}  # key -> subunique
    unanswered: list[tuple[str, str]] = []  # (key, what happened)
    refused: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post_in_a_loop(thread: int) -> None:
        sizes = random.Random(thread)
        with server.client() as client:
            for n in range(10_000):
                if stop.is_set():
                    return
                key = f"C{thread}-{n:04d}"
                records = [person(f"{key}-{i:03d}") for i in range(sizes.randint(1, 120))]
                with lock:
                    sent[key] = records
                try:
                    response = client.post("/people", content=body(records))
                except httpx.TransportError as exc:  # the server died: no answer
                    with lock:
                        unanswered.append((key, repr(exc)))
                    return
                with lock:
                    if response.status_code == 200:
                        answered[key] = response.json()["subunique"]
                    else:
                        refused.append((key, response.status_code, response.text))

    threads = [threading.Thread(target=post_in_a_loop, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        # When the server is killed with SIGKILL in the middle of it
        wait_until(lambda: len(answered) >= 40, 30, "40 answered requests")
        time.sleep(random.uniform(0.0, 0.5))
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=EXIT_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert refused == []
    assert 1 <= len(unanswered) <= THREADS  # a client stops at its first unanswered request

    # And a new server starts on the same database
    restarted = itg.serve(workers=1, lease_seconds=LEASE_SECONDS)
    rows = itg.wait_all_final(60)

    # Then each stored request is one of those sent, stored once, whole
    stored: dict[str, dict[str, object]] = {}
    for row in rows:
        records = orjson.loads(row["payload"])
        key = records[0]["matricula"].rsplit("-", 1)[0]
        assert key not in stored, f"{key} stored twice"
        stored[key] = row
        assert records == sent[key], key
        assert (row["total"], row["done"], row["status"]) == (len(sent[key]), len(records), "done")
    # And every answered request is among them, readable and finished after the restart
    assert set(answered) <= set(stored)
    for key, subunique in answered.items():
        assert stored[key]["subunique"] == subunique
    with restarted.client() as client:
        for key, subunique in answered.items():
            response = client.get("/process", params={"subunique": subunique})
            assert response.status_code == 200, response.text
            report = response.json()
            total = str(len(sent[key]))
            assert (report["status"], report["progress"]) == (
                "done",
                {"done": total, "total": total},
            )
    # And only unanswered requests may be stored without their answer
    assert set(stored) - set(answered) <= {key for key, _ in unanswered}
    # And the people are exactly those of the stored requests, each applied once
    people = collections.Counter(matricula for _, matricula, _ in itg.people())
    assert people == collections.Counter(
        record["matricula"] for key in stored for record in sent[key]
    )
    restarted.stop_cleanly()
