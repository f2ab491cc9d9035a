"""SPEC 1.6: GET /process by subunique and by unique, its errors, ids and permissions."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from itg.storage.queue import claim_next
from tests.errors import error_body

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NOT_FOUND = error_body(404, "Process not found")
GOOD = {"codigo": "A", "nome": "Alfa"}
BAD = {"codigo": "B"}  # a new cost center without its name
PERSON = {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
BAD_PERSON = {"matricula": "9"}  # a new person without name, PIS or admission date
BAD_PERSON_MESSAGES = ["Campo obrigatório: dataAdmissao", "Campo obrigatório: nome",
                       "Campo obrigatório: pis"]  # fmt: skip


Records = list[dict[str, Any]]


def post(
    api: TestClient, headers: dict[str, str], records: Records, path: str = "/costcenter"
) -> dict[str, str]:
    response = api.post(path, json=records, headers=headers)
    assert response.status_code == 200
    return response.json()


def get(api: TestClient, headers: dict[str, str], **params: str) -> httpx.Response:
    return api.get("/process", params=params, headers=headers)


def sorted_messages(errors: Records) -> Records:
    """Error entries with their messages sorted: their order carries no meaning (SPEC 1.6)."""
    return [{**error, "message": sorted(error["message"])} for error in errors]


# --- by subunique ------------------------------------------------------------------------


def test_accepted_process_is_queued_until_a_worker_runs(client: TestClient, tenant):
    # Given an accepted request of two records, and no worker yet
    accepted = post(client, tenant.headers, [GOOD, BAD])
    # When it is read by subunique
    response = get(client, tenant.headers, subunique=accepted["subunique"])
    # Then it is queued, nothing done, unfinished, with no errors
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert ISO_UTC.match(body["created_at"])
    assert body == {
        "data": {"errors": []},
        "company": tenant.code,
        "unique": accepted["unique"],
        "subunique": accepted["subunique"],
        "status": "queued",
        "progress": {"done": "0", "total": "2"},
        "route": "costcenter",
        "created_at": body["created_at"],
        "finished_at": None,
    }


def test_claimed_process_is_processing(client: TestClient, db, tenant):
    # Given an accepted request that a worker has claimed but not yet applied
    accepted = post(client, tenant.headers, [GOOD])
    assert claim_next(db, 30.0) is not None
    # When it is read
    body = get(client, tenant.headers, subunique=accepted["subunique"]).json()
    # Then it is processing and still unfinished
    assert (body["status"], body["progress"], body["finished_at"]) == (
        "processing",
        {"done": "0", "total": "1"},
        None,
    )


def test_finished_process_reports_its_final_state(client: TestClient, tenant, run_worker):
    # Given an accepted request of two good records, applied by the worker
    accepted = post(client, tenant.headers, [GOOD, {"codigo": "C", "nome": "Charlie"}])
    queued = get(client, tenant.headers, subunique=accepted["subunique"]).json()
    assert run_worker() == 1
    # When it is read again
    body = get(client, tenant.headers, subunique=accepted["subunique"]).json()
    # Then it is done, fully processed, finished, with the same creation time
    assert ISO_UTC.match(body["finished_at"])
    assert body["finished_at"] >= body["created_at"]
    assert body == {
        "data": {"errors": []},
        "company": tenant.code,
        "unique": accepted["unique"],
        "subunique": accepted["subunique"],
        "status": "done",
        "progress": {"done": "2", "total": "2"},
        "route": "costcenter",
        "created_at": queued["created_at"],
        "finished_at": body["finished_at"],
    }


@pytest.mark.parametrize(
    ("records", "status", "failed"),
    [
        ([GOOD], "done", 0),
        ([GOOD, {"codigo": "C", "nome": "Charlie"}, GOOD], "done", 0),
        ([GOOD, BAD], "warning", 1),
        ([BAD, GOOD, {"nome": "x"}], "warning", 2),
        ([BAD], "error", 1),
        ([BAD, {"nome": "x"}, {"codigo": "D"}], "error", 3),
    ],
    ids=["one-ok", "all-ok", "one-of-two-failed", "two-of-three-failed", "one-failed",
         "all-failed"],
)  # fmt: skip
def test_final_status_follows_the_failed_records(
    client: TestClient, tenant, run_worker, records, status, failed
):
    # Given a request with some failing records, applied
    accepted = post(client, tenant.headers, records)
    run_worker()
    # When it is read
    body = get(client, tenant.headers, subunique=accepted["subunique"]).json()
    # Then done = none failed, warning = some failed, error = all failed
    assert body["status"] == status
    assert body["progress"] == {"done": str(len(records)), "total": str(len(records))}
    assert len(body["data"]["errors"]) == failed


def test_errors_are_in_input_order_with_all_their_messages(client: TestClient, tenant, run_worker):
    # Given a request whose failing records carry one or several faults
    records = [
        {"codigo": "", "nome": "x" * 151},
        GOOD,
        {"codigo": 12},
        {"nome": "Sem código"},
        {"codigo": {"not": "text"}, "nome": "N"},
        {"codigo": " Z ", "nome": ""},
    ]
    accepted = post(client, tenant.headers, records)
    run_worker()
    # When it is read
    body = get(client, tenant.headers, subunique=accepted["subunique"]).json()
    # Then each failed record appears once, in input order, with its key as sent and all faults
    assert body["status"] == "warning"
    assert sorted_messages(body["data"]["errors"]) == [
        {"identifier": "", "index": 0,
         "message": ["Campo inválido: nome", "Campo obrigatório: codigo"]},
        {"identifier": "12", "index": 2, "message": ["Campo obrigatório: nome"]},
        {"identifier": "", "index": 3, "message": ["Campo obrigatório: codigo"]},
        {"identifier": "", "index": 4, "message": ["Campo inválido: codigo"]},
        {"identifier": "Z", "index": 5, "message": ["Campo obrigatório: nome"]},
    ]  # fmt: skip


def test_same_identifier_failing_twice_is_told_apart_by_index(
    client: TestClient, tenant, run_worker
):
    # Given two failing records with the same key
    accepted = post(client, tenant.headers, [BAD, GOOD, BAD])
    run_worker()
    # When the process is read
    errors = get(client, tenant.headers, subunique=accepted["subunique"]).json()["data"]["errors"]
    # Then both are reported, each with its own index
    assert errors == [
        {"identifier": "B", "index": 0, "message": ["Campo obrigatório: nome"]},
        {"identifier": "B", "index": 2, "message": ["Campo obrigatório: nome"]},
    ]


# --- by unique ---------------------------------------------------------------------------


def test_unique_aggregates_its_window(client: TestClient, tenant, run_worker):
    # Given a window of a cost center request (all good) and a people request (some bad)
    cc = post(client, tenant.headers, [GOOD])
    pp = post(client, tenant.headers, [PERSON, BAD_PERSON], "/people")
    assert cc["unique"] == pp["unique"]
    first_created = get(client, tenant.headers, subunique=cc["subunique"]).json()["created_at"]
    assert run_worker() == 2
    last_finished = get(client, tenant.headers, subunique=pp["subunique"]).json()["finished_at"]
    # When the window is read by unique
    response = get(client, tenant.headers, unique=cc["unique"])
    # Then it sums the window, has no common route, and lists its processes in order
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "data": {"errors": [
            {"identifier": "9", "index": 1, "message": body["data"]["errors"][0]["message"],
             "subunique": pp["subunique"]},
        ]},
        "company": tenant.code,
        "unique": cc["unique"],
        "subunique": None,
        "status": "warning",
        "progress": {"done": "3", "total": "3"},
        "route": None,
        "created_at": first_created,
        "finished_at": last_finished,
        "processes": [
            {"subunique": cc["subunique"], "route": "costcenter", "status": "done",
             "progress": {"done": "1", "total": "1"}},
            {"subunique": pp["subunique"], "route": "people", "status": "warning",
             "progress": {"done": "2", "total": "2"}},
        ],
    }  # fmt: skip
    assert sorted(body["data"]["errors"][0]["message"]) == BAD_PERSON_MESSAGES


def test_unique_of_one_route_names_it_and_orders_errors_by_request(
    client: TestClient, tenant, run_worker
):
    # Given a window of two failing cost center requests
    first = post(client, tenant.headers, [GOOD, BAD])
    second = post(client, tenant.headers, [{"nome": "x"}])
    run_worker()
    # When the window is read
    body = get(client, tenant.headers, unique=first["unique"]).json()
    # Then the route is common, and errors follow acceptance then input order
    assert body["route"] == "costcenter"
    assert body["status"] == "warning"
    assert [p["subunique"] for p in body["processes"]] == [first["subunique"], second["subunique"]]
    assert body["data"]["errors"] == [
        {"identifier": "B", "index": 1, "message": ["Campo obrigatório: nome"],
         "subunique": first["subunique"]},
        {"identifier": "", "index": 0, "message": ["Campo obrigatório: codigo"],
         "subunique": second["subunique"]},
    ]  # fmt: skip


@pytest.mark.parametrize(("records", "status"), [([BAD], "error"), ([GOOD], "done")])
def test_unique_status_is_computed_over_all_records(
    client: TestClient, tenant, run_worker, records, status
):
    # Given a window of two requests that all fail, or all succeed
    first = post(client, tenant.headers, records)
    post(client, tenant.headers, records)
    run_worker()
    # When the window is read
    body = get(client, tenant.headers, unique=first["unique"]).json()
    # Then its status is the same as each of its requests
    assert body["status"] == status
    assert [p["status"] for p in body["processes"]] == [status, status]


def test_unique_is_unfinished_while_any_request_is(client: TestClient, tenant, run_worker):
    # Given a window whose first request is finished and whose second is still queued
    first = post(client, tenant.headers, [GOOD])
    run_worker()
    second = post(client, tenant.headers, [GOOD])
    # When the window is read
    body = get(client, tenant.headers, unique=first["unique"]).json()
    # Then it is not final, has no finished_at, and shows both states
    assert (body["status"], body["finished_at"]) == ("processing", None)
    assert body["progress"] == {"done": "1", "total": "2"}
    assert [(p["subunique"], p["status"]) for p in body["processes"]] == [
        (first["subunique"], "done"),
        (second["subunique"], "queued"),
    ]


def test_unique_with_only_queued_requests_is_queued(client: TestClient, tenant):
    # Given a window of two accepted requests, no worker yet
    first = post(client, tenant.headers, [GOOD])
    post(client, tenant.headers, [GOOD, BAD])
    # When it is read
    body = get(client, tenant.headers, unique=first["unique"]).json()
    # Then it is queued with nothing done
    assert (body["status"], body["progress"], body["finished_at"]) == (
        "queued",
        {"done": "0", "total": "3"},
        None,
    )


# --- which id is used --------------------------------------------------------------------


def test_subunique_wins_over_unique(make_client, tenant):
    # Given two windows (a 1 s validity) and the subunique of the first
    api = make_client(validity_seconds=1)
    old = post(api, tenant.headers, [GOOD])
    time.sleep(1.1)
    new = post(api, tenant.headers, [GOOD], "/people")
    assert old["unique"] != new["unique"]
    # When both a subunique and the other window's unique are given
    body = get(api, tenant.headers, subunique=old["subunique"], unique=new["unique"]).json()
    # Then the subunique's process is reported
    assert (body["subunique"], body["unique"], body["route"]) == (
        old["subunique"],
        old["unique"],
        "costcenter",
    )


def test_unknown_subunique_wins_over_a_valid_unique(client: TestClient, tenant):
    # Given a valid unique and an unknown subunique
    accepted = post(client, tenant.headers, [GOOD])
    # When both are given
    response = get(client, tenant.headers, subunique="0badf00d", unique=accepted["unique"])
    # Then the subunique is used, and it is not found
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("subunique", ["", "   "], ids=["empty", "blank"])
def test_empty_subunique_counts_as_not_given(client: TestClient, tenant, subunique):
    # Given a window and an empty subunique parameter
    accepted = post(client, tenant.headers, [GOOD])
    # When both are given
    body = get(client, tenant.headers, subunique=subunique, unique=accepted["unique"]).json()
    # Then the unique is used
    assert (body["unique"], body["subunique"]) == (accepted["unique"], None)


@pytest.mark.parametrize(
    "params",
    [{}, {"subunique": ""}, {"subunique": "", "unique": ""}, {"unique": " "}, {"other": "x"}],
    ids=["none", "empty-subunique", "both-empty", "blank-unique", "unrelated-param"],
)
def test_no_id_is_400(client: TestClient, tenant, assert_error, params):
    # Given a monitor read without a usable id
    # When it is sent
    response = get(client, tenant.headers, **params)
    # Then it asks for the subunique
    assert_error(response, 400, "subunique is required")


# --- not found, other tenants, permission ------------------------------------------------


@pytest.mark.parametrize("key", ["subunique", "unique"])
@pytest.mark.parametrize("value", ["0badf00d", "ABCDEF12", "not-an-id", "x" * 100])
def test_unknown_id_is_404(client: TestClient, tenant, assert_error, key, value):
    # Given an id that no process has
    post(client, tenant.headers, [GOOD])
    # When it is read
    response = get(client, tenant.headers, **{key: value})
    # Then it is not found
    assert_error(response, 404, "Process not found")


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_another_companys_id_is_404_like_an_unknown_one(
    client: TestClient, tenant, other_company, key
):
    # Given a process of company B
    theirs = post(client, other_company.headers, [GOOD])
    # When company A reads B's id, and an unknown one
    probed = get(client, tenant.headers, **{key: theirs[key]})
    unknown = get(client, tenant.headers, **{key: "0badf00d"})
    # Then both answers are identical 404s, and B still reads its own
    assert (probed.status_code, probed.content) == (unknown.status_code, unknown.content)
    assert probed.json() == NOT_FOUND
    assert get(client, other_company.headers, **{key: theirs[key]}).status_code == 200


def test_reading_without_the_process_route_is_403(
    client: TestClient, tenant, add_user, assert_error
):
    # Given a process, and a user of the same company without the process route
    accepted = post(client, tenant.headers, [GOOD])
    writer = add_user("writer", tenant, ("costcenter", "people"))
    # When that user reads it
    response = get(client, writer.headers, subunique=accepted["subunique"])
    # Then it is forbidden
    assert_error(response, 403, "Forbidden")


def test_healthz_needs_no_credentials(client: TestClient):
    # Given no credentials
    # When the liveness probe is read
    response = client.get("/healthz")
    # Then storage is reachable
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
