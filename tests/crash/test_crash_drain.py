"""SIGTERM drain (SPEC 3.4): a worker stopped mid-request finishes its chunk, gives the request
back to the queue with its progress kept, and exits 0; a restarted worker resumes it at once
from the last committed chunk, without waiting for any lease."""

from __future__ import annotations

import signal

import pytest

from tests.builders import invalid_person, person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.faults import FaultHooks
from tests.processes import EXIT_SECONDS, RELEASED, Itg, wait_until

pytestmark = pytest.mark.e2e

TOTAL = 200
CHUNK = 20
INVALID = (7, 53, 150)
# Each chunk of the first worker lasts at least this long, so that SIGTERM, sent once two
# chunks are committed, lands some 8 s before the request could end.
CHUNK_SECONDS = 1.0
RESTART_SECONDS = 60  # a restarted worker's start-up and 160 records, on a loaded machine
LONG_LEASE = 5 * RESTART_SECONDS  # a restart that had to wait for it could not finish in time
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
    # And a worker with a long lease in the middle of it
    first = itg.worker(
        lease_seconds=LONG_LEASE,
        chunk_size=CHUNK,
        faults=FaultHooks(chunk_delay_seconds=CHUNK_SECONDS),
    )
    wait_until(lambda: itg.request(subunique)["done"] >= 2 * CHUNK, 30, "two chunks committed")

    # When it gets SIGTERM (stop() fails the test unless it exits within EXIT_SECONDS: the
    # "few seconds" of SPEC 3.4, one chunk's CHUNK_SECONDS included)
    status, _ = first.stop(signal.SIGTERM, within=EXIT_SECONDS)

    # Then it exits 0, having released the request at a chunk boundary
    assert status == 0, first.log
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
    second = itg.worker(lease_seconds=LONG_LEASE, chunk_size=CHUNK)
    # Then it finishes the request within RESTART_SECONDS, which waiting for the first
    # worker's lease (LONG_LEASE) could not
    wait_until(lambda: itg.all_final(), RESTART_SECONDS, "the released request finished")
    # having claimed it at once, resuming from the last committed chunk
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
