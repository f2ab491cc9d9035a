"""Worker processes racing on one PostgreSQL (SPEC 3.1–3.3): no request is ever worked on by
two workers at once, and a worker whose lease was taken over cannot write (fencing).

Who held which request is read from the lines the workers log when they claim a request and
when their claim ends (itg/worker.py), and from the attempt counter of each request.
"""

from __future__ import annotations

import collections
import signal

import pytest

from tests.builders import invalid_person, person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.engines import POSTGRES_ONLY
from tests.faults import FaultHooks
from tests.processes import CLAIMED, FINISHED, LEASE_LOST, Itg, wait_until

pytestmark = [pytest.mark.e2e, POSTGRES_ONLY]

COMPANIES = 12
REQUESTS_PER_COMPANY = 3
PEOPLE_PER_REQUEST = 120


@pytest.mark.parametrize("worker_count", [2, 4])
def test_racing_workers_never_share_a_request(itg: Itg, worker_count: int):
    # Given idle worker processes, and an API-only server
    tenants = [itg.credentials] + [itg.company(f"r{n:06d}") for n in range(1, COMPANIES)]
    server = itg.serve(workers=0)
    workers = itg.workers(worker_count, chunk_size=40, faults=FaultHooks(chunk_delay_seconds=0.01))

    # When requests of many companies arrive, interleaved, while the workers race for them
    sent: dict[str, tuple[str, list[str]]] = {}
    clients = [server.client(tenant) for tenant in tenants]
    try:
        for round_ in range(REQUESTS_PER_COMPANY):
            for tenant, client in zip(tenants, clients, strict=True):
                prefix = f"{tenant.company}-{round_}"
                records = [person(f"{prefix}-{i:03d}") for i in range(PEOPLE_PER_REQUEST)]
                answer = post(client, "people", records, ACCEPTED_PEOPLE)
                sent[answer["subunique"]] = (tenant.company, [r["matricula"] for r in records])
    finally:
        for client in clients:
            client.close()
    rows = itg.wait_all_final(60)

    # Then every request was claimed once, by one worker, which finished it
    assert len(rows) == len(sent) == COMPANIES * REQUESTS_PER_COMPANY
    for row in rows:
        assert (row["status"], row["done"], row["total"]) == ("done", 120, 120), row
        assert (row["attempt"], row["faults"]) == (1, 0), row
    claimed_by: dict[str, list[int]] = collections.defaultdict(list)
    finished_by: dict[str, list[int]] = collections.defaultdict(list)
    for worker in workers:
        for match in CLAIMED.finditer(worker.log):
            assert (match["attempt"], match["done"]) == ("1", "0"), match[0]
            claimed_by[match["request"]].append(worker.pid)
        for match in FINISHED.finditer(worker.log):
            finished_by[match["request"]].append(worker.pid)
    request_ids = {str(row["id"]) for row in rows}
    assert set(claimed_by) == set(finished_by) == request_ids
    for request_id in request_ids:
        assert len(claimed_by[request_id]) == 1, (request_id, claimed_by[request_id])
        assert finished_by[request_id] == claimed_by[request_id]
    # And the workers did share the load
    assert len({pids[0] for pids in claimed_by.values()}) >= 2, claimed_by
    # And every record was applied exactly once
    stored = collections.Counter((company, m) for company, m, _ in itg.people())
    expected = collections.Counter(
        (company, matricula) for company, matriculas in sent.values() for matricula in matriculas
    )
    assert stored == expected
    assert itg.errors() == []
    for worker in workers:
        worker.stop_cleanly()
    server.stop_cleanly()


FENCED_TOTAL = 100
FENCED_CHUNK = 50
FENCED_INVALID = (3, 70)
# How long the stuck worker stays inside its first chunk: the second worker's start-up, the
# 1 s lease running out and the whole request must fit in it, on a loaded machine too.
STUCK_SECONDS = 20.0


def test_a_worker_whose_lease_was_taken_over_writes_nothing(itg: Itg):
    # Given a request of 100 people, two chunks of 50
    records = [
        invalid_person(f"F{i:03d}") if i in FENCED_INVALID else person(f"F{i:03d}")
        for i in range(FENCED_TOTAL)
    ]
    server = itg.serve(workers=0)
    with server.client() as client:
        subunique = post(client, "people", records, ACCEPTED_PEOPLE)["subunique"]
    # And a worker stuck inside its first chunk for far longer than its lease (1 s)
    stuck = itg.worker(
        lease_seconds=1,
        chunk_size=FENCED_CHUNK,
        faults=FaultHooks(chunk_delay_seconds=STUCK_SECONDS),
    )
    wait_until(lambda: itg.request(subunique)["status"] == "processing", 10, "first claim")

    # When another worker starts, reclaims the request once the lease has run out, and
    # finishes it while the first one is still inside its chunk
    other = itg.worker(lease_seconds=30, chunk_size=FENCED_CHUNK)
    wait_until(lambda: itg.all_final(), STUCK_SECONDS, "the request finished by the second worker")
    finished = itg.request(subunique)
    assert LEASE_LOST.search(stuck.log) is None, stuck.log  # still inside its chunk
    # And the stuck worker wakes up and tries to go on
    wait_until(
        lambda: LEASE_LOST.search(stuck.log) is not None,
        STUCK_SECONDS + 10,
        "the stale worker's log",
    )

    # Then the second worker claimed attempt 2 with nothing applied: the stuck chunk wrote nothing
    assert [(m["attempt"], m["done"]) for m in other.claims()] == [("2", "0")]
    assert [(m["attempt"], m["done"]) for m in stuck.claims()] == [("1", "0")]
    assert [m["request"] for m in LEASE_LOST.finditer(stuck.log)] == [str(finished["id"])]
    # And the request stayed exactly as the second worker left it
    row = itg.request(subunique)
    assert row == finished
    assert (row["status"], row["done"], row["failed"], row["attempt"], row["faults"]) == (
        "warning",
        FENCED_TOTAL,
        len(FENCED_INVALID),
        2,
        0,
    )
    # And every record is applied and reported exactly once
    assert sorted(m for _, m, _ in itg.people()) == [
        f"F{i:03d}" for i in range(FENCED_TOTAL) if i not in FENCED_INVALID
    ]
    assert [(e["idx"], e["messages"]) for e in itg.errors()] == [
        (i, ["Data de admissão inválida"]) for i in FENCED_INVALID
    ]
    status, _ = stuck.stop(signal.SIGTERM)
    assert status == 0, stuck.log
    other.stop_cleanly()
    server.stop_cleanly()
