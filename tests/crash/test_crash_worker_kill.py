"""kill -9 of a worker at random points (SPEC 3.3, 6): whenever a worker dies — inside a
chunk's transaction or between chunks — the request resumes from its last committed chunk,
and in the end every record is applied exactly once and reported exactly once.

The load is built so that applying a chunk twice would show: each request inserts people and
then, in later chunks, renames some of them (`matricula_anterior`). Inserting a chunk again
after its people were renamed would leave extra rows; renaming again would fail with
`Matrícula anterior não encontrada`; reporting a failure twice would leave extra error rows.
"""

from __future__ import annotations

import collections
import random
import time

import pytest

from tests.builders import invalid_person, person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.faults import FaultHooks
from tests.processes import CLAIMED, FINISHED, Itg, WorkerProcess, wait_until

pytestmark = pytest.mark.e2e

REQUESTS = 8
TOTAL = 300
INSERTS = 270  # then 30 renames of earlier, valid inserts
INVALID = tuple(i for i in range(INSERTS) if i % 37 == 5)  # 8 per request
RENAMED = tuple(i for i in range(INSERTS) if i not in INVALID)[: TOTAL - INSERTS]
CHUNK = 20
KILLS = 8
LEASE_SECONDS = 2  # short leases, so that a killed worker's request is soon reclaimed
HELD = FaultHooks(chunk_delay_seconds=0.05)  # each chunk's transaction stays open 50 ms


def load(n: int) -> list[dict[str, object]]:
    inserts = [
        invalid_person(f"K{n}-{i:03d}") if i in INVALID else person(f"K{n}-{i:03d}")
        for i in range(INSERTS)
    ]
    renames = [
        {"matricula": f"T{n}-{i:03d}", "matricula_anterior": f"K{n}-{i:03d}"} for i in RENAMED
    ]
    return inserts + renames


def expected_people(n: int) -> list[str]:
    return [
        f"T{n}-{i:03d}" if i in RENAMED else f"K{n}-{i:03d}"
        for i in range(INSERTS)
        if i not in INVALID
    ]


def test_killing_a_worker_anywhere_applies_and_reports_every_record_once(itg: Itg):
    # Given 8 requests of 300 people over 3 companies, accepted by an API-only server
    tenants = [itg.credentials, itg.company("b000002"), itg.company("c000003")]
    server = itg.serve(workers=0)
    sent: dict[str, tuple[str, int]] = {}  # subunique -> (company, n)
    for n in range(REQUESTS):
        tenant = tenants[n % len(tenants)]
        with server.client(tenant) as client:
            sent[post(client, "people", load(n), ACCEPTED_PEOPLE)["subunique"]] = (
                tenant.company,
                n,
            )

    # When a worker is killed with SIGKILL at a random moment after it claimed work, 8 times
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    killed: list[WorkerProcess] = []
    while len(killed) < KILLS and not itg.all_final():
        worker = itg.worker(
            concurrency=2, lease_seconds=LEASE_SECONDS, chunk_size=CHUNK, faults=HELD
        )
        wait_until(
            lambda: bool(worker.claims()) or itg.all_final(),  # noqa: B023
            15,
            f"a claim by worker {worker.pid}",
        )
        time.sleep(rng.uniform(0.0, 1.0))
        worker.kill()
        killed.append(worker)
    # And then a last one is left to finish
    last = itg.worker(concurrency=2, lease_seconds=LEASE_SECONDS, chunk_size=CHUNK, faults=HELD)
    rows = itg.wait_all_final(60)
    last.stop_cleanly()

    # Then every request is final with done == total, and no kill was counted as a fault
    context = f"seed {seed}"
    assert [(row["status"], row["done"], row["failed"], row["faults"]) for row in rows] == [
        ("warning", TOTAL, len(INVALID), 0)
    ] * REQUESTS, context
    # And some kills did land in the middle of a request: those claims were taken over
    abandoned = [
        (match["request"], int(match["attempt"]))
        for worker in killed
        for match in CLAIMED.finditer(worker.log)
        if (match["request"], match["attempt"])
        not in {(m["request"], m["attempt"]) for m in FINISHED.finditer(worker.log)}
    ]
    assert len(abandoned) >= 3, (abandoned, context)
    attempts = {str(row["id"]): row["attempt"] for row in rows}
    for request_id, attempt in abandoned:
        assert attempts[request_id] > attempt, (request_id, attempt, context)
    # And every claim resumed at a chunk boundary
    claims = [m for w in [*killed, last] for m in CLAIMED.finditer(w.log)]
    assert all(int(m["done"]) % CHUNK == 0 for m in claims), [m[0] for m in claims]
    assert sum(1 for m in claims if m["done"] != "0") >= 1, context

    # And every record was applied exactly once
    stored = collections.Counter((company, matricula) for company, matricula, _ in itg.people())
    expected = collections.Counter(
        (company, matricula) for company, n in sent.values() for matricula in expected_people(n)
    )
    assert stored == expected, context
    # And every failure was reported exactly once, with its own message
    ids = {row["subunique"]: row["id"] for row in rows}
    errors = [(e["request_id"], e["idx"], e["identifier"], e["messages"]) for e in itg.errors()]
    assert errors == sorted(
        (ids[subunique], i, f"K{n}-{i:03d}", ["Data de admissão inválida"])
        for subunique, (_, n) in sent.items()
        for i in INVALID
    ), context
    # And the monitor reports each request complete
    for subunique, (company, n) in sent.items():
        tenant = next(t for t in tenants if t.company == company)
        with server.client(tenant) as client:
            report = client.get("/process", params={"subunique": subunique}).json()
        assert (report["status"], report["progress"]) == (
            "warning",
            {"done": str(TOTAL), "total": str(TOTAL)},
        )
        assert [(e["index"], e["identifier"]) for e in report["data"]["errors"]] == [
            (i, f"K{n}-{i:03d}") for i in INVALID
        ]
    server.stop_cleanly()
