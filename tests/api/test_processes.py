"""SPEC 1.7: GET /processes lists the company's processes newest first, filtered and
cursor-paginated, expired ones included until purged, never another company's."""

from __future__ import annotations

import base64
import time
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from itg.storage.queue import claim_next
from itg.storage.schema import requests
from tests.errors import error_body

GOOD = {"codigo": "CC1", "nome": "Administrativo"}
NO_NAME = {"codigo": "CC9"}  # a new cost center without its name: `Campo obrigatório: nome`
LIMIT_MESSAGE = "limit must be between 1 and 500"
STATUS_MESSAGE = "status must be one of queued, processing, done, warning, error, canceled"
ROUTE_MESSAGE = (
    "route must be one of people, absences, paymentDate, anticipate, subsidiaries, "
    "costcenter, users"
)
SINCE_MESSAGE = "since must be an ISO 8601 time, e.g. 2026-11-28T16:00:00Z"


def send(
    api: TestClient,
    headers: dict[str, str],
    records: list[dict[str, Any]],
    route: str = "costcenter",
) -> str:
    response = api.post(f"/{route}", json=records, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["subunique"]


def listing(api: TestClient, headers: dict[str, str], **params: str | int) -> httpx.Response:
    return api.get("/processes", params=params, headers=headers)


def subuniques(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [process["subunique"] for process in response.json()["processes"]]


def page_through(api: TestClient, headers: dict[str, str], limit: int) -> list[list[str]]:
    """Every page from the first to the one whose next_cursor is null."""
    pages, params = [], {"limit": limit}
    for _ in range(100):
        body = listing(api, headers, **params).json()
        pages.append([process["subunique"] for process in body["processes"]])
        if body["next_cursor"] is None:
            return pages
        params = {"limit": limit, "cursor": body["next_cursor"]}
    pytest.fail("paging did not end")


def set_created_at(db, subunique: str, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    with db.write() as conn:
        conn.execute(
            update(requests).where(requests.c.subunique == subunique).values(created_at=moment)
        )


def test_lists_every_field_of_each_process_newest_first(client, tenant, run_worker):
    # Given a warning, a done and a queued process, in that acceptance order
    warning = send(client, tenant.headers, [GOOD, NO_NAME])
    done = send(client, tenant.headers, [GOOD])
    run_worker()
    queued = send(client, tenant.headers, [GOOD, GOOD, GOOD], route="costcenter")
    reports = {
        sub: client.get("/process", params={"subunique": sub}, headers=tenant.headers).json()
        for sub in (warning, done, queued)
    }
    # When the company lists its processes
    response = listing(client, tenant.headers)
    # Then each carries exactly the SPEC's keys, agreeing with GET /process, newest first
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected_errors = {warning: 1, done: 0, queued: 0}
    assert response.json() == {
        "processes": [
            {
                "subunique": sub,
                "unique": reports[sub]["unique"],
                "route": "costcenter",
                "status": reports[sub]["status"],
                "progress": reports[sub]["progress"],
                "errors": expected_errors[sub],
                "created_at": reports[sub]["created_at"],
                "finished_at": reports[sub]["finished_at"],
            }
            for sub in (queued, done, warning)
        ],
        "next_cursor": None,
    }
    assert [reports[sub]["status"] for sub in (queued, done, warning)] == [
        "queued",
        "done",
        "warning",
    ]
    assert reports[queued]["progress"] == {"done": "0", "total": "3"}
    assert reports[queued]["finished_at"] is None


def test_an_empty_company_lists_nothing(client, tenant):
    assert listing(client, tenant.headers).json() == {"processes": [], "next_cursor": None}


def test_status_filter_selects_each_status(client, tenant, run_worker, db, settings):
    # Given one process in each of the five states
    error = send(client, tenant.headers, [NO_NAME])
    warning = send(client, tenant.headers, [GOOD, NO_NAME])
    done = send(client, tenant.headers, [GOOD])
    run_worker()
    processing = send(client, tenant.headers, [GOOD])
    queued = send(client, tenant.headers, [GOOD])
    claim = claim_next(db, settings.lease_seconds)  # a worker holds the oldest queued one
    assert claim is not None
    # When filtering by each status, Then exactly that process is listed
    for status, sub in [
        ("queued", queued),
        ("processing", processing),
        ("done", done),
        ("warning", warning),
        ("error", error),
    ]:
        response = listing(client, tenant.headers, status=status)
        assert subuniques(response) == [sub]
        assert response.json()["processes"][0]["status"] == status
    assert subuniques(listing(client, tenant.headers)) == [
        queued,
        processing,
        done,
        warning,
        error,
    ]


def test_route_filter_and_combined_filters(client, tenant, run_worker):
    # Given cost center and people processes, some finished
    people = {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
    first = send(client, tenant.headers, [GOOD])
    person = send(client, tenant.headers, [people], route="people")
    run_worker()
    second = send(client, tenant.headers, [GOOD])
    # Then the route filter keeps its route only, combined with status when both are given
    assert subuniques(listing(client, tenant.headers, route="costcenter")) == [second, first]
    assert subuniques(listing(client, tenant.headers, route="people")) == [person]
    assert subuniques(listing(client, tenant.headers, route="users")) == []
    assert subuniques(listing(client, tenant.headers, route="costcenter", status="done")) == [first]
    assert subuniques(listing(client, tenant.headers, route="people", status="queued")) == []


def test_blank_parameters_count_as_not_given(client, tenant):
    sub = send(client, tenant.headers, [GOOD])
    response = listing(client, tenant.headers, status="", route=" ", since="", limit="", cursor="")
    assert subuniques(response) == [sub]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "finished"}, STATUS_MESSAGE),
        ({"status": "DONE"}, STATUS_MESSAGE),
        ({"route": "process"}, ROUTE_MESSAGE),
        ({"route": "People"}, ROUTE_MESSAGE),
        ({"since": "yesterday"}, SINCE_MESSAGE),
        ({"since": "2026-13-01"}, SINCE_MESSAGE),
        ({"since": "0001-01-01T00:00:00+01:00"}, SINCE_MESSAGE),
    ],
)
def test_unknown_filter_values_are_refused(client, tenant, assert_error, params, message):
    assert_error(listing(client, tenant.headers, **params), 400, message)


def test_since_keeps_processes_created_at_or_after_it(client, tenant, db):
    # Given processes created on three days
    subs = [send(client, tenant.headers, [GOOD]) for _ in range(3)]
    for day, sub in zip((1, 2, 3), subs, strict=True):
        set_created_at(db, sub, datetime(2026, 1, day, 12, 0, 0))
    newest_two = [subs[2], subs[1]]
    # Then `since` includes a process created exactly then, in any ISO 8601 spelling
    assert subuniques(listing(client, tenant.headers, since="2026-01-02T12:00:00Z")) == newest_two
    assert subuniques(listing(client, tenant.headers, since="2026-01-02T12:00:00")) == newest_two
    assert (
        subuniques(listing(client, tenant.headers, since="2026-01-02T15:00:00+03:00")) == newest_two
    )
    assert subuniques(listing(client, tenant.headers, since="2026-01-02T12:00:01Z")) == [subs[2]]
    assert subuniques(listing(client, tenant.headers, since="2026-01-02")) == newest_two
    assert subuniques(listing(client, tenant.headers, since="2027-01-01T00:00:00Z")) == []


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "1.5", "1e2", "100000000000"])
def test_limit_out_of_bounds_or_not_an_integer_is_refused(client, tenant, assert_error, limit):
    assert_error(listing(client, tenant.headers, limit=limit), 400, LIMIT_MESSAGE)


@pytest.fixture
def hundred_twenty(client, tenant) -> list[str]:
    """120 accepted processes of the tenant, newest first."""
    return [send(client, tenant.headers, [GOOD]) for _ in range(120)][::-1]


def test_limit_bounds_and_default(client, tenant, hundred_twenty):
    assert subuniques(listing(client, tenant.headers)) == hundred_twenty[:50]
    assert subuniques(listing(client, tenant.headers, limit=1)) == hundred_twenty[:1]
    assert subuniques(listing(client, tenant.headers, limit=" 7 ")) == hundred_twenty[:7]
    last_page = listing(client, tenant.headers, limit=500).json()
    assert [p["subunique"] for p in last_page["processes"]] == hundred_twenty
    assert last_page["next_cursor"] is None


def test_cursor_pages_through_120_processes_without_gaps_or_repeats(client, tenant, hundred_twenty):
    pages = page_through(client, tenant.headers, limit=50)
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [sub for page in pages for sub in page] == hundred_twenty
    # an exact multiple ends with a full page and a null cursor, never an empty page
    assert [len(page) for page in page_through(client, tenant.headers, limit=40)] == [40, 40, 40]


def test_a_cursor_keeps_the_filters_it_is_sent_with(client, tenant, run_worker):
    subs = [send(client, tenant.headers, [GOOD] if i % 2 else [NO_NAME]) for i in range(6)]
    run_worker()
    first = listing(client, tenant.headers, status="done", limit=2).json()
    assert [p["subunique"] for p in first["processes"]] == [subs[5], subs[3]]
    second = listing(client, tenant.headers, status="done", limit=2, cursor=first["next_cursor"])
    assert subuniques(second) == [subs[1]]
    assert second.json()["next_cursor"] is None


def test_paging_continues_when_the_page_boundary_was_purged(client, tenant, db):
    # Given five processes and a first page of two
    subs = [send(client, tenant.headers, [GOOD]) for _ in range(5)][::-1]
    first = listing(client, tenant.headers, limit=2).json()
    assert [p["subunique"] for p in first["processes"]] == subs[:2]
    # When the last process of that page disappears (purged) before the next page is read
    with db.write() as conn:
        conn.execute(delete(requests).where(requests.c.subunique == subs[1]))
    # Then the next pages continue below it, with nothing skipped or repeated
    second = listing(client, tenant.headers, limit=2, cursor=first["next_cursor"]).json()
    assert [p["subunique"] for p in second["processes"]] == subs[2:4]
    third = listing(client, tenant.headers, limit=2, cursor=second["next_cursor"]).json()
    assert [p["subunique"] for p in third["processes"]] == subs[4:]
    assert third["next_cursor"] is None


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "zz",
        "a",
        _b64("hello"),
        _b64("1f0c9a2e"),
        _b64("1F0C9A2E:2026-01-01T00:00:00"),
        _b64("1f0c9a2e:yesterday"),
        _b64("1f0c9a2e:2026-01-01T00:00:00+00:00"),
        _b64("12345"),
        "A" * 200,
    ],
)
def test_malformed_cursor_is_refused(client, tenant, assert_error, cursor):
    send(client, tenant.headers, [GOOD])
    assert_error(listing(client, tenant.headers, cursor=cursor), 400, "Invalid cursor")


def test_never_lists_another_companys_processes(client, tenant, other_company):
    # Given two companies with processes of their own
    mine = [send(client, tenant.headers, [GOOD]) for _ in range(3)][::-1]
    theirs = [send(client, other_company.headers, [GOOD]) for _ in range(3)][::-1]
    # Then each lists only its own, also on every page
    assert subuniques(listing(client, tenant.headers)) == mine
    assert subuniques(listing(client, other_company.headers)) == theirs
    assert [
        s for page in page_through(client, other_company.headers, limit=1) for s in page
    ] == theirs
    # and the tenant's cursor, older than any of the other company's processes, is an empty
    # last page there (test_a_foreign_cursor_pages_the_senders_own_processes_before_its_time)
    foreign = listing(client, tenant.headers, limit=1).json()["next_cursor"]
    answer = listing(client, other_company.headers, cursor=foreign)
    assert (answer.status_code, answer.json()) == (200, {"processes": [], "next_cursor": None})
    # and no filter reaches across
    for params in ({"status": "queued"}, {"route": "costcenter"}, {"since": "2000-01-01"}):
        assert subuniques(listing(client, other_company.headers, **params)) == theirs


def test_a_foreign_cursor_pages_the_senders_own_processes_before_its_time(
    client, tenant, other_company, db
):
    # A cursor is opaque (SPEC 1.7): it names its page's last process and when that one was
    # created. Sent by another company, it names none of that company's processes, so, like
    # a cursor whose process was purged, it continues below that company's newest process
    # created before that time: only ever with the sender's own rows.
    # Given the other company's processes of January 1st to 4th, and two of the tenant's
    theirs = [send(client, other_company.headers, [GOOD]) for _ in range(4)]
    mine = [send(client, tenant.headers, [GOOD]) for _ in range(2)]
    for sub, moment in [
        *((sub, datetime(2026, 1, day, 12)) for day, sub in enumerate(theirs, start=1)),
        (mine[0], datetime(2026, 1, 2, 18)),
        (mine[1], datetime(2026, 1, 3, 18)),
    ]:
        set_created_at(db, sub, moment)
    own_rows = listing(client, other_company.headers).json()["processes"]
    assert [row["subunique"] for row in own_rows] == theirs[::-1]
    # When the other company pages with the tenant's cursor (its process of Jan 3, 18:00)
    foreign = listing(client, tenant.headers, limit=1).json()["next_cursor"]
    first = listing(client, other_company.headers, cursor=foreign, limit=2)
    # Then it gets its own processes created before then (Jan 3, 2, 1), exactly as its own
    # listing shows them, page after page
    assert first.status_code == 200
    assert first.json()["processes"] == own_rows[1:3]
    assert first.json()["next_cursor"] is not None
    second = listing(client, other_company.headers, cursor=first.json()["next_cursor"], limit=2)
    assert second.json() == {"processes": own_rows[3:], "next_cursor": None}
    # while the same cursor pages the tenant's own rows as usual
    assert subuniques(listing(client, tenant.headers, cursor=foreign)) == [mine[0]]


def test_needs_the_process_route(client, tenant, add_user, assert_error):
    writer = add_user("writer", tenant, ("costcenter",))
    send(client, writer.headers, [GOOD])
    assert_error(listing(client, writer.headers), 403, "Forbidden")


def test_needs_credentials(client, assert_error):
    response = client.get("/processes")
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'


def test_checks_accept_version_like_process(client, tenant, assert_error):
    sub = send(client, tenant.headers, [GOOD])
    headers = {**tenant.headers, "Accept-Version": " V2 "}
    assert subuniques(client.get("/processes", headers=headers)) == [sub]
    assert_error(
        client.get("/processes", headers={**tenant.headers, "Accept-Version": "v3"}),
        400,
        "Unsupported Accept-Version: v3",
    )
    assert_error(
        listing(client, tenant.headers, **{"Accept-Version": "v1"}),
        400,
        "Unsupported Accept-Version: v1",
    )


def test_lists_expired_processes_until_they_are_purged(make_client, tenant, run_worker):
    # Given ITG_VALIDITY_SECONDS=1 and a finished process
    api = make_client(validity_seconds=1)
    sub = send(api, tenant.headers, [GOOD])
    run_worker()
    # When it has expired
    time.sleep(1.1)
    assert api.get(
        "/process", params={"subunique": sub}, headers=tenant.headers
    ).json() == error_body(410, "Process expired")
    # Then it is still listed, with its final status
    listed = listing(api, tenant.headers).json()["processes"]
    assert [(p["subunique"], p["status"], p["errors"]) for p in listed] == [(sub, "done", 0)]


def test_past_retention_is_not_listed_even_before_the_purge(make_client, tenant, run_worker):
    # Given ITG_VALIDITY_SECONDS=1, ITG_RETENTION_DAYS=0: purged at expiry
    api = make_client(validity_seconds=1, retention_days=0)
    finished = send(api, tenant.headers, [GOOD])
    run_worker()
    unfinished = send(api, tenant.headers, [GOOD])
    time.sleep(1.1)
    # Then the finished one is gone (GET /process says 404), the unfinished one stays
    assert api.get(
        "/process", params={"subunique": finished}, headers=tenant.headers
    ).json() == error_body(404, "Process not found")
    assert subuniques(listing(api, tenant.headers)) == [unfinished]


def test_openapi_documents_the_route(client):
    operation = client.get("/openapi.json").json()["paths"]["/processes"]["get"]
    assert [p["name"] for p in operation["parameters"]] == [
        "status",
        "route",
        "since",
        "limit",
        "cursor",
        "Accept-Version",
    ]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "500"]
    description = operation["responses"]["400"]["description"]
    for message in (LIMIT_MESSAGE, STATUS_MESSAGE, ROUTE_MESSAGE, SINCE_MESSAGE, "Invalid cursor"):
        assert f"`{message}`" in description
