"""A poison request (SPEC 3.4): a request whose processing raises every time ends after 3
attempts, its remaining records failed with `Erro interno ao processar registro` and a final
status, while the requests of other companies keep flowing. The fault is injected with
FaultHooks (tests/crash/faulty_itg.py): the chunk holding that matrícula raises inside the
worker; with `fail_error_entries` writing the internal-error entries fails too."""

from __future__ import annotations

import pytest

from tests.builders import person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.faults import FaultHooks
from tests.processes import Itg

pytestmark = pytest.mark.e2e

POISON = "POISON"
INTERNAL = ["Erro interno ao processar registro"]
CHUNK = 10
# Company a000001: 99 good chunks, then the chunk with the poison record → `warning`
PARTLY = [person(POISON) if i == 995 else person(f"P{i:03d}") for i in range(1000)]
# Company b000001: the poison record in the only chunk → every record fails → `error`
WHOLLY = [person(POISON)] + [person(f"W{i:03d}") for i in range(1, CHUNK)]


def test_a_poison_request_ends_after_3_attempts_while_other_companies_flow(itg: Itg):
    # Given two idle workers that raise in any chunk holding the poison record
    poisoned = itg.company("b000001")
    others = [itg.company(f"c00000{n}") for n in range(1, 6)]
    server = itg.serve(workers=0)
    workers = itg.workers(2, chunk_size=CHUNK, faults=FaultHooks(fail_identifier=POISON))

    # When two poison requests arrive, then requests of five other companies
    with server.client() as client:
        partly = post(client, "people", PARTLY, ACCEPTED_PEOPLE)["subunique"]
    with server.client(poisoned) as client:
        wholly = post(client, "people", WHOLLY, ACCEPTED_PEOPLE)["subunique"]
    flowing: list[str] = []
    for n, company in enumerate(others * 4):
        with server.client(company) as client:
            records = [person(f"O{n:02d}-{i:02d}") for i in range(CHUNK)]
            flowing.append(post(client, "people", records, ACCEPTED_PEOPLE)["subunique"])
    rows = {row["subunique"]: row for row in itg.wait_all_final(60)}

    # Then each poison request ended after 3 faults, its remaining records failed as ours
    assert (rows[partly]["status"], rows[partly]["done"], rows[partly]["failed"]) == (
        "warning",
        1000,
        10,
    )
    assert (rows[wholly]["status"], rows[wholly]["done"], rows[wholly]["failed"]) == (
        "error",
        CHUNK,
        CHUNK,
    )
    for subunique in (partly, wholly):
        # the third attempt's fault ends the request: no fourth claim
        assert (rows[subunique]["faults"], rows[subunique]["attempt"]) == (3, 3)
    with server.client() as client:
        report = client.get("/process", params={"subunique": partly}).json()
    assert (report["status"], report["progress"]) == ("warning", {"done": "1000", "total": "1000"})
    assert report["data"]["errors"] == [
        {"identifier": PARTLY[i]["matricula"], "index": i, "message": INTERNAL}
        for i in range(990, 1000)
    ]
    with server.client(poisoned) as client:
        report = client.get("/process", params={"subunique": wholly}).json()
    assert (report["status"], report["progress"]) == ("error", {"done": "10", "total": "10"})
    assert report["data"]["errors"] == [
        {"identifier": record["matricula"], "index": i, "message": INTERNAL}
        for i, record in enumerate(WHOLLY)
    ]
    # And the chunks that committed before the fault stay applied, the others left nothing
    stored = {(company, matricula) for company, matricula, _ in itg.people()}
    assert {m for c, m in stored if c == "a000001"} == {f"P{i:03d}" for i in range(990)}
    assert not any(c == "b000001" for c, _ in stored)
    # And each fault was logged with its traceback, and each request's end once
    logs = "".join(worker.log for worker in workers)
    # (with its frames, without its message: it quotes the record, itg/logs.py)
    assert logs.count('raise RuntimeError(f"injected fault: record') == 6, logs
    assert logs.count("RuntimeError: (message not logged)") == 6, logs
    assert logs.count("Traceback") == 6, logs
    assert logs.count("failed 3 times; failing its remaining records") == 2, logs

    # And the other companies' requests all succeeded
    assert all(rows[s]["status"] == "done" and rows[s]["done"] == CHUNK for s in flowing)
    assert len(stored) == 990 + len(flowing) * CHUNK
    if itg.engine == "postgres":
        # in parallel: some of them while the poison request was being retried (SQLite has one
        # writer at a time, so there the second worker waits for the lock between chunks)
        started, finished = rows[partly]["started_at"], rows[partly]["finished_at"]
        during = [s for s in flowing if started < rows[s]["finished_at"] < finished]
        assert during, [(rows[s]["started_at"], rows[s]["finished_at"]) for s in flowing]
    for worker in workers:
        assert worker.stop()[0] == 0, worker.log
    server.stop_cleanly()


def test_a_request_whose_error_entries_cannot_be_written_still_ends(itg: Itg):
    # Given one worker for which both the poison chunk and the internal-error entries fail
    other = itg.company("b000001")
    server = itg.serve(workers=0)
    (worker,) = itg.workers(
        1, chunk_size=CHUNK, faults=FaultHooks(fail_identifier=POISON, fail_error_entries=True)
    )
    # When the poisoned request arrives, then a request of its own company and of another
    with server.client() as client:
        poisoned = post(client, "people", PARTLY, ACCEPTED_PEOPLE)["subunique"]
        after = post(client, "people", [person("NEXT")], ACCEPTED_PEOPLE)["subunique"]
    with server.client(other) as client:
        elsewhere = post(client, "people", [person("ELSEWHERE")], ACCEPTED_PEOPLE)["subunique"]
    # (the retries wait about 1 s and 2 s: the whole run takes a few seconds)
    rows = {row["subunique"]: row for row in itg.wait_all_final(60)}

    # Then the poisoned request ended after exactly 3 attempts, its 10 remaining records
    # failed under the single fixed entry of the minimal ending
    row = rows[poisoned]
    assert (row["status"], row["done"], row["failed"], row["faults"], row["attempt"]) == (
        "warning",
        1000,
        10,
        3,
        3,
    )
    with server.client() as client:
        report = client.get("/process", params={"subunique": poisoned}).json()
    assert (report["status"], report["progress"]) == ("warning", {"done": "1000", "total": "1000"})
    assert report["data"]["errors"] == [{"identifier": "", "index": 990, "message": INTERNAL}]
    # And the company's next request and the other company's request finished
    assert (rows[after]["status"], rows[elsewhere]["status"]) == ("done", "done")
    # And the log holds one traceback per attempt plus one for the failed error entries, with
    # their frames but not their messages, which quote the record (itg/logs.py)
    assert worker.log.count('raise RuntimeError(f"injected fault: record') == 3, worker.log
    assert worker.log.count('raise RuntimeError("injected fault: error entries")') == 1
    assert worker.log.count("RuntimeError: (message not logged)") == 4, worker.log
    assert POISON not in worker.log
    assert worker.log.count("Traceback") == 4, worker.log
    assert worker.stop()[0] == 0, worker.log
    server.stop_cleanly()
