"""SPEC 1.6: `GET /process?unique=` streamed from storage sends the very bytes the whole body
built in memory did, however the error rows fall into batches, on both engines; and a window
read while one of its requests progresses stays self-consistent.

`previous_body` is the in-memory aggregate that the server sent before streaming (kept here as
the reference): one read of the window and all its error rows, then one `orjson.dumps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from itg.outcomes import RecordError
from itg.processes import queries as store
from itg.processes import window
from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.storage.queue import Claim
from itg.storage.schema import FINAL_STATUSES, PROCESSING, QUEUED
from itg.timeutil import iso
from tests import engines

settings = engines.settings  # every test here on both engines

GOOD = {"codigo": "A", "nome": "Alfa"}
PERSON = {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
BAD_PERSON = {"matricula": "9"}  # three messages: no name, no PIS, no admission date


def bad(code: str) -> dict[str, str]:
    """A new cost center without its name: fails with `Campo obrigatório: nome`."""
    return {"codigo": code}


def previous_body(db: Database, company_id: int, company_code: str, unique: str) -> bytes:
    """The body of `GET /process?unique=` as the server built it in memory before streaming."""
    with db.read() as conn:
        processes = store.by_unique(conn, company_id, unique)
        errors = store.errors_of(conn, [p.id for p in processes])
    subuniques = {p.id: p.subunique for p in processes}
    routes = {p.route for p in processes}
    unfinished = any(p.finished_at is None for p in processes)
    if all(p.status == QUEUED for p in processes):
        status = QUEUED
    elif any(p.status not in FINAL_STATUSES for p in processes):
        status = PROCESSING
    else:
        status = queue.final_status(
            sum(p.total for p in processes), sum(p.failed for p in processes)
        )
    entries = [
        b'{"identifier":%b,"index":%d,"message":%b,"subunique":"%s"}'
        % (orjson.dumps(identifier), index, messages.encode(), subuniques[request_id].encode())
        for request_id, index, identifier, messages in errors
    ]
    return orjson.dumps(
        {
            "data": {"errors": orjson.Fragment(b"[" + b",".join(entries) + b"]")},
            "company": company_code,
            "unique": unique,
            "subunique": None,
            "status": status,
            "progress": progress(sum(p.done for p in processes), sum(p.total for p in processes)),
            "route": routes.pop() if len(routes) == 1 else None,
            "created_at": iso(processes[0].created_at),
            "finished_at": None if unfinished else iso(max(p.finished_at for p in processes)),  # type: ignore[type-var]
            "processes": [
                {
                    "subunique": p.subunique,
                    "route": p.route,
                    "status": p.status,
                    "progress": progress(p.done, p.total),
                }
                for p in processes
            ],
        }
    )


def progress(done: int, total: int) -> dict[str, str]:
    return {"done": str(done), "total": str(total)}


def post(client: TestClient, headers: dict[str, str], path: str, records: list[Any]) -> str:
    """POST a write request that must be accepted; returns its unique."""
    response = client.post(path, json=records, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["unique"])


def advance(db: Database, claim: Claim, done: int, failed: int, errors: Sequence[RecordError]):  # type: ignore[no-untyped-def]
    """A chunk of a claimed request committed as the worker commits it (errors with progress)."""
    with db.write() as conn:
        queue.fence(conn, claim, 30.0)
        queue.advance(conn, claim, done, failed, errors)


def mixed_window(client: TestClient, db: Database, tenant, run_worker) -> tuple[str, Claim]:  # type: ignore[no-untyped-def]
    """One window: four finished requests (errors in three, on both routes), then one being
    processed (two of its four records applied, one failed) and one queued behind it."""
    unique = post(client, tenant.headers, "/costcenter", [GOOD, bad("B"), bad("C")])
    post(client, tenant.headers, "/people", [BAD_PERSON, PERSON])
    post(client, tenant.headers, "/costcenter", [GOOD])
    post(client, tenant.headers, "/costcenter", [bad(f"E{i}") for i in range(5)])
    assert run_worker() == 4
    post(client, tenant.headers, "/costcenter", [bad("P0"), GOOD, bad("P2"), bad("P3")])
    claim = queue.claim_next(db, 30.0)
    assert claim is not None
    advance(db, claim, 2, 1, [RecordError(0, "P0", ("Campo obrigatório: nome",))])
    assert post(client, tenant.headers, "/costcenter", [bad("Q")]) == unique
    return unique, claim


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 4, 1000])
def test_the_streamed_window_is_the_previous_body_byte_for_byte(
    client: TestClient, db: Database, tenant, run_worker, monkeypatch, batch_rows
):
    # Given a window of six requests, one processing and one queued, errors in four of them
    unique, _ = mixed_window(client, db, tenant, run_worker)
    expected = previous_body(db, tenant.id, tenant.code, unique)
    # When it is read with the error rows fetched `batch_rows` at a time
    monkeypatch.setattr(window, "ERROR_BATCH_ROWS", batch_rows)
    response = client.get("/process", params={"unique": unique}, headers=tenant.headers)
    # Then the bytes are those of the in-memory body, and they describe the whole window
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == expected
    body = response.json()
    assert (body["status"], body["progress"], body["finished_at"]) == (
        "processing",
        {"done": "13", "total": "16"},
        None,
    )
    assert [(e["identifier"], e["index"]) for e in body["data"]["errors"]] == [
        ("B", 1), ("C", 2), ("9", 0), *[(f"E{i}", i) for i in range(5)], ("P0", 0),
    ]  # fmt: skip
    assert [p["status"] for p in body["processes"]] == [
        "warning", "warning", "done", "error", "processing", "queued",
    ]  # fmt: skip


def test_a_window_without_errors_streams_an_empty_list(client: TestClient, db, tenant):
    # Given a window of two queued requests
    unique = post(client, tenant.headers, "/costcenter", [GOOD])
    post(client, tenant.headers, "/people", [PERSON])
    # When it is read
    response = client.get("/process", params={"unique": unique}, headers=tenant.headers)
    # Then it is the previous body, with no errors
    assert response.content == previous_body(db, tenant.id, tenant.code, unique)
    assert response.json()["data"] == {"errors": []}


@pytest.mark.parametrize("batch_rows", [1, 1000])
def test_progress_made_while_streaming_is_left_out(
    client: TestClient, db: Database, settings: Settings, tenant, run_worker, monkeypatch,
    batch_rows,
):  # fmt: skip
    # Given the window read (its processes and progress) but none of its errors sent yet
    unique, claim = mixed_window(client, db, tenant, run_worker)
    expected = previous_body(db, tenant.id, tenant.code, unique)
    monkeypatch.setattr(window, "ERROR_BATCH_ROWS", batch_rows)
    report = window.open_unique(db, settings, tenant.id, tenant.code, unique)
    # When the processing request finishes (two more errors) before the errors are read
    errors = [RecordError(2, "P2", ("x",)), RecordError(3, "P3", ("y",))]
    advance(db, claim, 4, 3, errors)
    streamed = b"".join(report.chunks())
    # Then the body is the window as it was read: no error that its progress does not count
    assert streamed == expected
    assert orjson.loads(streamed)["processes"][4]["progress"] == {"done": "2", "total": "4"}
    # And a new read shows the request finished, with its new errors
    after = client.get("/process", params={"unique": unique}, headers=tenant.headers)
    assert after.content == previous_body(db, tenant.id, tenant.code, unique)
    assert [e["identifier"] for e in after.json()["data"]["errors"]][-3:] == ["P0", "P2", "P3"]
