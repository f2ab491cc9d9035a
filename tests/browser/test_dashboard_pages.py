"""SPEC 5 at the HTTP level, in-process (no browser needed): what the dashboard's HTML holds,
its refusals (the JSON error shape of SPEC 1.2), escaping, paging and its self-contained page.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import replace

import httpx
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.permissions import all_routes
from itg.storage import tenants
from tests.errors import error_body

GOOD = {"codigo": "CC1", "nome": "Administrativo"}
HOSTILE = '<img src=x onerror="alert(1)">'
ROW = re.compile(r'<tr data-subunique="([0-9a-f]{8})" data-status="([a-z]+)">')


def headers_of(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def send(api: TestClient, headers: dict[str, str], records: list[dict]) -> str:
    response = api.post("/costcenter", json=records, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["subunique"]


def rows(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return ROW.findall(response.text)


def live_poll(response: httpx.Response) -> str:
    found = re.search(r'<section id="live" data-poll="(\d+)">', response.text)
    assert found is not None
    return found.group(1)


def assert_json_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(status, message)


def test_lists_the_rows_newest_first_in_the_first_answer(client, tenant, run_worker):
    # Given a finished process with one failure and a queued one
    finished = send(client, tenant.headers, [GOOD, {"codigo": "CC2"}])
    run_worker()
    queued = send(client, tenant.headers, [GOOD, GOOD])
    # When the dashboard is fetched
    response = client.get("/dashboard", headers=tenant.headers)
    # Then the HTML already holds both rows, newest first, and asks for a refresh each second
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert rows(response) == [(queued, "queued"), (finished, "warning")]
    assert '<progress class="queued" max="2" value="0"' in response.text
    assert '<progress class="warning" max="2" value="2"' in response.text
    assert '<td class="num errors some">1</td>' in response.text
    assert f'<a href="/dashboard/process/{finished}">{finished}</a>' in response.text
    assert live_poll(response) == "1000"
    assert "Updating every second while 1 process is unfinished." in response.text


def test_refresh_slows_down_when_all_is_finished_and_stops_on_older_pages(
    client, tenant, run_worker
):
    subs = [send(client, tenant.headers, [GOOD]) for _ in range(3)][::-1]
    run_worker()
    first = client.get("/dashboard", params={"limit": 2}, headers=tenant.headers)
    assert [sub for sub, _ in rows(first)] == subs[:2]
    assert live_poll(first) == "5000"
    older = re.search(r'<a href="([^"]+)" rel="next">Older', first.text)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&"), headers=tenant.headers)
    assert [sub for sub, _ in rows(second)] == subs[2:]
    assert live_poll(second) == "0"
    assert '<a href="/dashboard?limit=2">« Newest</a>' in second.text
    assert 'rel="next"' not in second.text


def test_filters_are_query_parameters_reflected_in_the_form(client, tenant, run_worker):
    done = send(client, tenant.headers, [GOOD])
    run_worker()
    queued = send(client, tenant.headers, [GOOD])
    response = client.get("/dashboard?status=done&route=costcenter", headers=tenant.headers)
    assert rows(response) == [(done, "done")]
    assert '<option value="done" selected>done</option>' in response.text
    assert '<option value="costcenter" selected>costcenter</option>' in response.text
    assert rows(client.get("/dashboard?status=queued", headers=tenant.headers)) == [
        (queued, "queued")
    ]
    empty = client.get("/dashboard?route=users", headers=tenant.headers)
    assert rows(empty) == []
    assert "No process matches these filters." in empty.text


def test_refused_filters_are_the_json_errors_of_processes(client, tenant):
    assert_json_error(
        client.get("/dashboard?status=finished", headers=tenant.headers),
        400,
        "status must be one of queued, processing, done, warning, error, canceled",
    )
    assert_json_error(
        client.get("/dashboard?cursor=zz", headers=tenant.headers), 400, "Invalid cursor"
    )


def test_process_page_shows_the_error_table_escaped(client, tenant, run_worker):
    # Given a failed record whose identifier is HTML
    sub = send(client, tenant.headers, [GOOD, {"codigo": HOSTILE}])
    run_worker()
    # When its page is opened
    response = client.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    # Then the identifier is text, and the table has the index and every message
    assert response.status_code == 200
    assert HOSTILE not in response.text
    assert (
        '<td class="mono identifier">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</td>'
        in response.text
    )
    assert '<td class="num index">1</td>' in response.text
    assert "<li>Campo obrigatório: nome</li>" in response.text
    assert live_poll(response) == "0"


def test_the_page_is_self_contained_under_a_strict_policy(client, tenant):
    response = client.get("/dashboard", headers=tenant.headers)
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)'", policy)
    assert nonce is not None
    assert policy == (
        f"default-src 'none'; script-src 'nonce-{nonce.group(1)}'; "
        f"style-src 'nonce-{nonce.group(1)}'; connect-src 'self'; img-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    assert response.text.count(f'nonce="{nonce.group(1)}"') == 2  # the style and the script
    assert re.findall(r'(?:src|href)="(?:https?:)?//', response.text) == []
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_needs_credentials_with_the_browser_challenge(client):
    for path in ("/dashboard", "/dashboard/process/1f0c9a2e"):
        response = client.get(path)
        assert_json_error(response, 401, "Unauthorized")
        assert response.headers["www-authenticate"] == 'Basic realm="itg"'


def test_needs_the_process_route(client, tenant, db):
    _user, password = tenants.create_service_user(db, "writer", tenant.code, ("costcenter",))
    for path in ("/dashboard", "/dashboard/process/1f0c9a2e"):
        assert_json_error(
            client.get(path, headers=headers_of("writer", password)), 403, "Forbidden"
        )


def test_another_companys_process_is_not_found(client, tenant, db):
    tenants.create_company(db, "b000202", "Other")
    _user, password = tenants.create_service_user(db, "other", "b000202", all_routes())
    theirs = send(client, headers_of("other", password), [GOOD])
    assert rows(client.get("/dashboard", headers=tenant.headers)) == []
    assert_json_error(
        client.get(f"/dashboard/process/{theirs}", headers=tenant.headers),
        404,
        "Process not found",
    )


def test_expired_process_is_listed_marked_and_not_linked(settings, db, tenant, run_worker):
    # Given ITG_VALIDITY_SECONDS=1 and a process that finished more than that ago
    with TestClient(create_app(replace(settings, validity_seconds=1), db)) as api:
        sub = send(api, tenant.headers, [GOOD])
        run_worker()
        time.sleep(1.1)
        listed = api.get("/dashboard", headers=tenant.headers)
        detail = api.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    # Then it is listed as done and expired, without a link, and its page answers 410
    assert rows(listed) == [(sub, "done")]
    assert 'class="tag" title="GET /process answers 410 Process expired">expired</span>' in (
        listed.text
    )
    assert f'href="/dashboard/process/{sub}"' not in listed.text
    assert_json_error(detail, 410, "Process expired")


def test_openapi_documents_the_html_pages(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/dashboard", "/dashboard/process/{subunique}"):
        operation = paths[path]["get"]
        assert operation["tags"] == ["dashboard"]
        assert list(operation["responses"]["200"]["content"]) == ["text/html"]
        assert operation["responses"]["401"]["description"] == (
            "Missing or wrong credentials, or a disabled user"
        )
