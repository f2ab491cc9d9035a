"""SIGTERM drain (SPEC 3.4): a worker stopped mid-request finishes its chunk, gives the request
back to the queue with its progress kept, and exits 0; a restarted worker resumes it at once
from the last committed chunk, without waiting for any lease."""

from __future__ import annotations

import signal
import time

import pytest

from tests.crash.helpers import (
    ACCEPTED_PEOPLE,
    RELEASED,
    FaultHooks,
    Itg,
    invalid_person,
    person,
    post,
    wait_until,
)

pytestmark = pytest.mark.e2e

TOTAL = 200
CHUNK = 20
INVALID = (7, 53, 150)
LONG_LEASE = 60  # a restart that had to wait for this lease could not finish in time
RECORDS = [
    invalid_person(f"D{i:03d}") if i in INVALID else person(f"D{i:03d}") for i in range(TOTAL)
]


def valid_before(done: int) -> list[str]:
    return [f"D{i:03d}" for i in range(done) if i not in INVALID]


def test_sigterm_releases_at_a_chunk_boundary_and_a_restart_resumes_at_once(itg: Itg):
    # Given a request of 200 people accepted by an API-only server
    server = itg.serve(workers=0)
    with server.client() as client:
        subunique = post(client, "people", RECORDS, ACCEPTED_PEOPLE)["subunique"]
    # And a worker with a long lease in the middle of it (each chunk lasts at least 0.3 s)
    first = itg.worker(
        lease_seconds=LONG_LEASE, chunk_size=CHUNK, faults=FaultHooks(chunk_delay_seconds=0.3)
    )
    wait_until(lambda: itg.request(subunique)["done"] >= 2 * CHUNK, 20, "two chunks committed")

    # When it gets SIGTERM
    status, seconds = first.stop(signal.SIGTERM)

    # Then it exits 0 within a few seconds, having released the request at a chunk boundary
    assert status == 0, first.log
    assert seconds < 5.0, first.log
    assert "Traceback" not in first.log, first.log
    row = itg.request(subunique)
    released = row["done"]
    assert (row["status"], row["lease_expires_at"], row["attempt"], row["faults"]) == (
        "queued",
        None,
        1,
        0,
    )
    assert 2 * CHUNK <= released < TOTAL and released % CHUNK == 0, released
    assert row["failed"] == len([i for i in INVALID if i < released])
    assert [(m["attempt"], m["done"]) for m in RELEASED.finditer(first.log)] == [
        ("1", str(released))
    ]
    # And exactly the records before the boundary are applied and reported
    assert sorted(matricula for _, matricula, _ in itg.people()) == valid_before(released)
    assert [(e["idx"], e["messages"]) for e in itg.errors()] == [
        (i, ["Data de admissão inválida"]) for i in INVALID if i < released
    ]

    # When a worker starts again (with a lease as long as the first one's)
    restarted = time.monotonic()
    second = itg.worker(lease_seconds=LONG_LEASE, chunk_size=CHUNK)
    wait_until(lambda: itg.all_final(), 20, "the released request finished")

    # Then it claimed the request at once, resuming from the last committed chunk
    assert time.monotonic() - restarted < 20 < LONG_LEASE
    assert [(m["attempt"], m["done"], m["total"]) for m in second.claims()] == [
        ("2", str(released), str(TOTAL))
    ]
    row = itg.request(subunique)
    assert (row["status"], row["done"], row["failed"], row["attempt"], row["faults"]) == (
        "warning",
        TOTAL,
        len(INVALID),
        2,
        0,
    )
    # And every record is applied and reported exactly once
    people = sorted(matricula for _, matricula, _ in itg.people())
    assert people == valid_before(TOTAL)
    assert [(e["idx"], e["identifier"], e["messages"]) for e in itg.errors()] == [
        (i, f"D{i:03d}", ["Data de admissão inválida"]) for i in INVALID
    ]
    with server.client() as client:
        report = client.get("/process", params={"subunique": subunique}).json()
    assert (report["status"], report["progress"]) == ("warning", {"done": "200", "total": "200"})
    assert report["data"] == {
        "errors": [
            {"identifier": f"D{i:03d}", "index": i, "message": ["Data de admissão inválida"]}
            for i in INVALID
        ]
    }
    second.stop_cleanly()
    server.stop_cleanly()
