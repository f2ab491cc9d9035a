"""SPEC 1.9: POST /process/cancel, on both engines.

Queued, mid-request at a chunk boundary, racing the final chunk, already finished; its
refusals (400/403/404/409, cross-origin); `canceled` in /processes and the aggregate by
unique. After every scenario the backlog counter equals the records still to process.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from itg.metrics import Metrics
from itg.services.base import Service
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import cost_centers
from itg.worker import Worker, WorkerHooks
from tests import engines
from tests.errors import error_body
from tests.integration.test_backlog_counter import assert_backlog_matches

settings = engines.settings  # every test here on both engines

Records = list[dict[str, Any]]


def centers(count: int, first: int = 0) -> Records:
    return [{"codigo": f"C{first + n}", "nome": f"Centro {first + n}"} for n in range(count)]


def post(api: TestClient, tenant, records: Records, path: str = "/costcenter") -> dict[str, str]:
    response = api.post(path, json=records, headers=tenant.headers)
    assert response.status_code == 200
    return response.json()


def cancel(api: TestClient, headers: dict[str, str], subunique: str | None) -> httpx.Response:
    params = {} if subunique is None else {"subunique": subunique}
    return api.post("/process/cancel", params=params, headers=headers)


def applied(db: Database) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(select(cost_centers.c.codigo)).scalars())


def small_chunks(settings: Settings) -> Settings:
    return replace(settings, chunk_size=2)


# --- queued ------------------------------------------------------------------------------


def test_a_queued_process_is_canceled_at_once_and_never_applied(
    client: TestClient, tenant, db: Database, settings: Settings
):
    # Given a queued request of three records
    accepted = post(client, tenant, centers(3))
    assert assert_backlog_matches(db) == {tenant.id: 3}
    # When it is canceled
    response = cancel(client, tenant.headers, accepted["subunique"])
    # Then the answer is its monitor body, canceled, nothing done, finished now
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["finished_at"] is not None
    assert body == {
        "data": {"errors": []},
        "company": tenant.code,
        "unique": accepted["unique"],
        "subunique": accepted["subunique"],
        "status": "canceled",
        "progress": {"done": "0", "total": "3"},
        "route": "costcenter",
        "created_at": body["created_at"],
        "finished_at": body["finished_at"],
        "cancel_requested": True,
    }
    # And GET /process says the same, byte for byte
    monitor = client.get("/process", params=accepted, headers=tenant.headers)
    assert monitor.status_code == 200
    assert monitor.content == response.content
    assert assert_backlog_matches(db) == {}
    # When a worker runs, Then nothing of it is applied
    assert Worker(db, settings).run_once() is False
    assert applied(db) == []
    # And a second cancel is refused: it is final
    again = cancel(client, tenant.headers, accepted["subunique"])
    assert again.status_code == 409
    assert again.json() == error_body(409, "Process already finished")


def test_other_bodies_carry_no_cancel_requested(client: TestClient, tenant, db, settings):
    accepted = post(client, tenant, centers(1))
    assert (
        "cancel_requested"
        not in client.get("/process", params=accepted, headers=tenant.headers).json()
    )
    Worker(db, settings).run_once()
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert body["status"] == "done"
    assert "cancel_requested" not in body


def test_a_finished_process_answers_409(client: TestClient, tenant, db, settings):
    accepted = post(client, tenant, centers(2))
    Worker(db, settings).run_once()
    response = cancel(client, tenant.headers, accepted["subunique"])
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(409, "Process already finished")
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert body["status"] == "done"
    assert "cancel_requested" not in body
    assert applied(db) == ["C0", "C1"]


# --- refusals ----------------------------------------------------------------------------


# "a\x00b": PostgreSQL cannot hold U+0000, and the answer is the same on both engines.
@pytest.mark.parametrize("subunique", ["00000000", "nothex!!", "abc", "a\x00b"])
def test_an_unknown_id_is_404(client: TestClient, tenant, subunique: str):
    response = cancel(client, tenant.headers, subunique)
    assert response.status_code == 404
    assert response.json() == error_body(404, "Process not found")


def test_another_companys_process_is_404_and_stays_queued(
    client: TestClient, tenant, other_company, db
):
    accepted = post(client, other_company, centers(2))
    response = cancel(client, tenant.headers, accepted["subunique"])
    assert response.status_code == 404
    assert response.json() == error_body(404, "Process not found")
    body = client.get("/process", params=accepted, headers=other_company.headers).json()
    assert body["status"] == "queued"
    assert assert_backlog_matches(db) == {other_company.id: 2}


@pytest.mark.parametrize("params", [{}, {"subunique": ""}, {"subunique": "  "}])
def test_a_missing_subunique_is_400(client: TestClient, tenant, params):
    response = client.post("/process/cancel", params=params, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json() == error_body(400, "subunique is required")


def test_the_caller_needs_the_route_of_that_process(client: TestClient, tenant, add_user, db):
    # Given a costcenter and a people request, and a user allowed only people
    center = post(client, tenant, centers(1))
    person = post(
        client,
        tenant,
        [{"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}],
        "/people",
    )
    only_people = add_user("only-people", tenant, ("people",))
    # When it cancels the costcenter one, Then 403, and it stays queued
    refused = cancel(client, only_people.headers, center["subunique"])
    assert refused.status_code == 403
    assert refused.json() == error_body(403, "Forbidden")
    assert client.get("/process", params=center, headers=tenant.headers).json()["status"] == (
        "queued"
    )
    # And it may cancel the people one (without the `process` route)
    accepted = cancel(client, only_people.headers, person["subunique"])
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "canceled"
    assert assert_backlog_matches(db) == {tenant.id: 1}


def test_unauthenticated_and_wrong_version(client: TestClient, tenant):
    accepted = post(client, tenant, centers(1))
    response = client.post("/process/cancel", params={"subunique": accepted["subunique"]})
    assert response.status_code == 401
    assert response.json() == error_body(401, "Unauthorized")
    response = client.post(
        "/process/cancel",
        params={"subunique": accepted["subunique"]},
        headers={**tenant.headers, "Accept-Version": "v1"},
    )
    assert response.status_code == 400
    assert response.json() == error_body(400, "Unsupported Accept-Version: v1")


@pytest.mark.parametrize(
    "header", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_a_cross_origin_cancel_is_refused(client: TestClient, tenant, header):
    accepted = post(client, tenant, centers(1))
    response = cancel(client, {**tenant.headers, **header}, accepted["subunique"])
    assert response.status_code == 403
    assert response.json() == error_body(403, "Cross-origin request refused")
    assert client.get("/process", params=accepted, headers=tenant.headers).json()["status"] == (
        "queued"
    )


def test_get_is_405(client: TestClient, tenant):
    response = client.get(
        "/process/cancel", params={"subunique": "00000000"}, headers=tenant.headers
    )
    assert response.status_code == 405


# --- lists and aggregates ----------------------------------------------------------------


def test_processes_filter_by_canceled(client: TestClient, tenant, db, settings):
    kept = post(client, tenant, centers(1))
    dropped = post(client, tenant, centers(1, 10))
    assert cancel(client, tenant.headers, dropped["subunique"]).status_code == 200
    Worker(db, settings).run_once()
    response = client.get("/processes", params={"status": "canceled"}, headers=tenant.headers)
    assert response.status_code == 200
    listed = response.json()["processes"]
    assert [p["subunique"] for p in listed] == [dropped["subunique"]]
    assert listed[0]["status"] == "canceled"
    assert listed[0]["progress"] == {"done": "0", "total": "1"}
    assert listed[0]["finished_at"] is not None
    done = client.get("/processes", params={"status": "done"}, headers=tenant.headers).json()
    assert [p["subunique"] for p in done["processes"]] == [kept["subunique"]]
    refused = client.get("/processes", params={"status": "stopped"}, headers=tenant.headers)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "status must be one of queued, processing, done, warning, error, canceled"
    )


def window(api: TestClient, tenant, unique: str) -> dict[str, Any]:
    response = api.get("/process", params={"unique": unique}, headers=tenant.headers)
    assert response.status_code == 200
    return response.json()


def test_a_window_of_only_canceled_processes_is_canceled(client: TestClient, tenant):
    first = post(client, tenant, centers(2))
    second = post(client, tenant, centers(3, 10))
    assert first["unique"] == second["unique"]
    for accepted in (first, second):
        assert cancel(client, tenant.headers, accepted["subunique"]).status_code == 200
    body = window(client, tenant, first["unique"])
    assert body["status"] == "canceled"
    assert body["progress"] == {"done": "0", "total": "0"}
    assert body["processes"] == [
        {
            "subunique": first["subunique"],
            "route": "costcenter",
            "status": "canceled",
            "progress": {"done": "0", "total": "2"},
            "cancel_requested": True,
        },
        {
            "subunique": second["subunique"],
            "route": "costcenter",
            "status": "canceled",
            "progress": {"done": "0", "total": "3"},
            "cancel_requested": True,
        },
    ]


def test_a_canceled_process_counts_only_its_processed_records_in_a_window(
    client: TestClient, tenant, db, settings
):
    # Given a window: one request done, one canceled while queued
    kept = post(client, tenant, centers(2))
    dropped = post(client, tenant, [{"codigo": "X"}, *centers(3, 10)])  # X would fail
    assert cancel(client, tenant.headers, dropped["subunique"]).status_code == 200
    Worker(db, settings).run_once()
    # Then its unprocessed records count nowhere: the window is done, 2 of 2
    body = window(client, tenant, kept["unique"])
    assert body["status"] == "done"
    assert body["progress"] == {"done": "2", "total": "2"}
    assert body["data"]["errors"] == []
    assert body["finished_at"] is not None
    assert [p["status"] for p in body["processes"]] == ["done", "canceled"]


def test_a_window_with_a_canceled_process_still_queued_elsewhere_is_unfinished(
    client: TestClient, tenant
):
    dropped = post(client, tenant, centers(1))
    waiting = post(client, tenant, centers(1, 10))
    assert cancel(client, tenant.headers, dropped["subunique"]).status_code == 200
    body = window(client, tenant, waiting["unique"])
    assert body["status"] == "processing"  # one final, one queued: not finished
    assert body["finished_at"] is None
    assert body["progress"] == {"done": "0", "total": "1"}


# --- at a chunk boundary -----------------------------------------------------------------


class CancelDuringChunk(WorkerHooks):
    """Sends the cancel while chunk `at` is being applied (inside its transaction, so the
    cancel waits for it), and lets the worker go on only once the cancel was answered: the
    cancel lands exactly between chunk `at` and the next one."""

    def __init__(self, api: TestClient, headers: dict[str, str], subunique: str, at: int):
        self.api, self.headers, self.subunique, self.at = api, headers, subunique, at
        self.chunks = 0
        self.answer: httpx.Response | None = None
        self.thread: threading.Thread | None = None

    def after_chunk_applied(self, service: Service[Any], chunk: Any) -> None:
        self.chunks += 1
        if self.chunks == self.at:
            self.thread = threading.Thread(target=self._cancel)
            self.thread.start()

    def _cancel(self) -> None:
        self.answer = cancel(self.api, self.headers, self.subunique)

    def wait(self) -> None:
        """Called after a chunk committed (from `Metrics.chunk_committed`)."""
        if self.thread is not None and self.chunks == self.at:
            self.thread.join(timeout=60)
            assert not self.thread.is_alive()


class WaitingMetrics(Metrics):
    def __init__(self, hooks: CancelDuringChunk) -> None:
        super().__init__()
        self.hooks = hooks

    def chunk_committed(self, *args: Any, **kwargs: Any) -> None:
        super().chunk_committed(*args, **kwargs)
        self.hooks.wait()


def run_with_cancel(api, tenant, db, settings, subunique: str, at: int) -> CancelDuringChunk:
    hooks = CancelDuringChunk(api, tenant.headers, subunique, at)
    worker = Worker(db, small_chunks(settings), hooks=hooks, metrics=WaitingMetrics(hooks))
    assert worker.run_once() is True
    assert hooks.answer is not None
    return hooks


def test_a_processing_request_stops_at_the_next_chunk_boundary(
    client: TestClient, tenant, db: Database, settings: Settings
):
    # Given a request of 7 records (chunks of 2: four chunks), the 2nd record failing
    records = centers(7)
    records[1] = {"codigo": "NEW"}  # a new cost center without its name fails
    accepted = post(client, tenant, records)
    # When the cancel arrives while chunk 2 is being applied
    hooks = run_with_cancel(client, tenant, db, settings, accepted["subunique"], at=2)
    # Then the cancel was answered with the process as it stood: processing, 4 done
    answer = hooks.answer
    assert answer is not None and answer.status_code == 200
    during = answer.json()
    assert during["status"] == "processing"
    assert during["progress"] == {"done": "4", "total": "7"}
    assert during["finished_at"] is None
    assert during["cancel_requested"] is True
    # And the worker stopped there: canceled, the two committed chunks applied and reported
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert body["status"] == "canceled"
    assert body["progress"] == {"done": "4", "total": "7"}
    assert body["finished_at"] is not None
    assert body["cancel_requested"] is True
    assert [(e["index"], e["identifier"]) for e in body["data"]["errors"]] == [(1, "NEW")]
    assert hooks.chunks == 2
    assert applied(db) == ["C0", "C2", "C3"]  # records 4–6 are not in the table
    assert assert_backlog_matches(db) == {}
    # And nothing more happens
    assert Worker(db, settings).run_once() is False
    assert applied(db) == ["C0", "C2", "C3"]


def test_a_cancel_racing_the_final_chunk_is_409_and_done(
    client: TestClient, tenant, db: Database, settings: Settings
):
    # Given a request of 4 records (two chunks), canceled while its final chunk is applied
    accepted = post(client, tenant, centers(4))
    hooks = run_with_cancel(client, tenant, db, settings, accepted["subunique"], at=2)
    # Then the cancel came too late: 409, and the process is done, whole
    answer = hooks.answer
    assert answer is not None and answer.status_code == 409
    assert answer.json() == error_body(409, "Process already finished")
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert body["status"] == "done"
    assert body["progress"] == {"done": "4", "total": "4"}
    assert "cancel_requested" not in body
    assert applied(db) == ["C0", "C1", "C2", "C3"]
    assert assert_backlog_matches(db) == {}


def test_a_cancel_just_before_the_final_chunk_is_canceled(
    client: TestClient, tenant, db: Database, settings: Settings
):
    accepted = post(client, tenant, centers(4))
    hooks = run_with_cancel(client, tenant, db, settings, accepted["subunique"], at=1)
    assert hooks.answer is not None and hooks.answer.status_code == 200
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert (body["status"], body["progress"]) == ("canceled", {"done": "2", "total": "4"})
    assert applied(db) == ["C0", "C1"]
    assert assert_backlog_matches(db) == {}


def test_a_free_race_with_the_final_chunk_has_one_of_two_outcomes(
    client: TestClient, tenant, db: Database, settings: Settings
):
    # Given a worker running a two-chunk request in its own thread, and a cancel at any time
    accepted = post(client, tenant, centers(4))
    worker = Worker(db, small_chunks(settings))
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    answer = cancel(client, tenant.headers, accepted["subunique"])
    thread.join(timeout=60)
    assert not thread.is_alive()
    Worker(db, settings).run_once()  # nothing, or nothing more to do
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    done = int(body["progress"]["done"])
    # Then either the cancel was in time: canceled, with exactly the committed chunks applied
    if answer.status_code == 200:
        assert body["status"] == "canceled"
        assert body["cancel_requested"] is True
        assert done in (0, 2)
        assert applied(db) == [f"C{n}" for n in range(done)]
    # Or it was too late: 409, and everything is done
    else:
        assert answer.status_code == 409
        assert answer.json() == error_body(409, "Process already finished")
        assert body["status"] == "done"
        assert done == 4
        assert applied(db) == ["C0", "C1", "C2", "C3"]
    assert body["progress"]["total"] == "4"
    assert assert_backlog_matches(db) == {}


def test_a_claim_of_a_request_canceled_while_nobody_held_it_ends_it(
    client: TestClient, tenant, db: Database, settings: Settings
):
    # Given a request whose worker stopped holding it mid-way (its lease expired)
    from datetime import timedelta

    from sqlalchemy import update

    from itg.storage.schema import requests
    from itg.timeutil import utcnow

    accepted = post(client, tenant, centers(5))
    stop = threading.Event()

    class StopAfterOneChunk(WorkerHooks):
        def after_chunk_applied(self, service, chunk):  # type: ignore[no-untyped-def]
            stop.set()

    Worker(db, small_chunks(settings), hooks=StopAfterOneChunk()).run_once(stop)
    with db.write() as conn:  # as if the worker had died holding it
        conn.execute(
            update(requests)
            .where(requests.c.subunique == accepted["subunique"])
            .values(status="processing", lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    # When the cancel is requested, Then it is only marked (a worker is thought to hold it)
    answer = cancel(client, tenant.headers, accepted["subunique"])
    assert answer.status_code == 200
    assert answer.json()["status"] == "processing"
    assert answer.json()["cancel_requested"] is True
    # When a worker reclaims it, Then it ends canceled at once, nothing more applied
    assert Worker(db, small_chunks(settings)).run_once() is True
    body = client.get("/process", params=accepted, headers=tenant.headers).json()
    assert (body["status"], body["progress"]) == ("canceled", {"done": "2", "total": "5"})
    assert applied(db) == ["C0", "C1"]
    assert assert_backlog_matches(db) == {}


def test_metrics_count_canceled_processes(client: TestClient, tenant):
    accepted = post(client, tenant, centers(1))
    assert cancel(client, tenant.headers, accepted["subunique"]).status_code == 200
    lines = client.get("/metrics").text.splitlines()
    assert 'itg_processes_canceled_total{route="costcenter"} 1.0' in lines


def test_the_dashboard_shows_the_canceled_badge(client: TestClient, tenant):
    accepted = post(client, tenant, centers(1))
    assert cancel(client, tenant.headers, accepted["subunique"]).status_code == 200
    page = client.get("/dashboard", headers=tenant.headers)
    assert page.status_code == 200
    assert '<span class="badge canceled">canceled</span>' in page.text
    assert ".badge.canceled { background: var(--canceled); }" in page.text
