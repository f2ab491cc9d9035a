"""SPEC 1.2 (the error shape, 500 without internals) and 1.3 (Accept-Version)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

RECORDS = [{"codigo": "C1", "nome": "Centro 1"}]


# --- 1.2 errors --------------------------------------------------------------------------


AUTH = "credentials"
BAD_VERSION = {"Accept-Version": "v1"}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"),
    [
        ("POST", "/people", b"[{}]", {}, 401, "Unauthorized"),
        ("POST", "/people", b"[{}]", {"Authorization": "Token x"}, 400,
         "Malformed Authorization header"),
        ("GET", "/nowhere", b"", {}, 404, "Not Found"),
        ("GET", "/costcenter", b"", {}, 405, "Method Not Allowed"),
        ("POST", "/people", b"[", AUTH, 400, "Invalid JSON"),
        ("POST", "/people", b"{}", AUTH, 400, "Request format must be an Array"),
        ("POST", "/people", b"[" + b" " * 1_048_576 + b"]", AUTH, 413,
         "Request body exceeds 1 MiB"),
        ("POST", "/people", b"[{}]", BAD_VERSION, 400, "Unsupported Accept-Version: v1"),
        ("GET", "/process", b"", AUTH, 400, "subunique is required"),
        ("GET", "/process?subunique=0badf00d", b"", AUTH, 404, "Process not found"),
    ],
)  # fmt: skip
def test_every_error_has_the_json_error_shape(
    client: TestClient, tenant, method, path, body, headers, status, message
):
    # Given a request that fails for one reason (BAD_VERSION is sent with valid credentials)
    sent = {**tenant.headers, **BAD_VERSION} if headers is BAD_VERSION else headers
    sent = tenant.headers if sent == AUTH else sent
    # When it is sent
    response = client.request(method, path, content=body, headers=sent)
    # Then the answer is {"error":{"code","message"}} as JSON, code equal to the status
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"code": status, "message": message}}


def test_unexpected_exception_on_a_write_is_500_without_internals(
    client: TestClient, tenant, monkeypatch, stored_requests, assert_error
):
    # Given storage that fails with an unexpected error
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("itg.api.intake.accept_request", explode)
    # When a valid request is posted
    response = client.post("/costcenter", json=RECORDS, headers=tenant.headers)
    # Then it is a plain 500 that reveals nothing of the cause, and nothing is stored
    assert_error(response, 500, "Internal Server Error")
    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text
    assert stored_requests() == 0


def test_unexpected_exception_on_the_monitor_is_500_without_internals(
    client: TestClient, tenant, monkeypatch, assert_error
):
    # Given a monitor that fails with an unexpected error
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("itg.monitor.report_subunique", explode)
    # When a process is read
    response = client.get("/process", params={"subunique": "0badf00d"}, headers=tenant.headers)
    # Then it is a plain 500 that reveals nothing of the cause
    assert_error(response, 500, "Internal Server Error")
    assert "secret detail" not in response.text


# --- 1.3 Accept-Version ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "query"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("v2", None, id="header-v2"),
        pytest.param(None, "v2", id="query-v2"),
        pytest.param("V2", None, id="header-upper-V2"),
        pytest.param(None, "V2", id="query-upper-V2"),
        pytest.param("  v2\t", None, id="header-trimmed"),
        pytest.param(None, " v2 ", id="query-trimmed"),
        pytest.param("", None, id="header-empty"),
        pytest.param("   ", None, id="header-blank"),
        pytest.param(None, "", id="query-empty"),
        pytest.param("v2", "v1", id="header-wins-over-bad-query"),
    ],
)
def test_accepted_versions(client: TestClient, tenant, header, query):
    # Given an Accept-Version that is absent, empty or v2 in any case and spacing
    headers = dict(tenant.headers)
    if header is not None:
        headers["Accept-Version"] = header
    params = {} if query is None else {"Accept-Version": query}
    # When a request is posted
    response = client.post("/costcenter", json=RECORDS, headers=headers, params=params)
    # Then it is accepted
    assert response.status_code == 200
    assert response.json()["message"] == "Cost center's Integration on progress"


@pytest.mark.parametrize(
    ("header", "query", "shown"),
    [
        pytest.param("v1", None, "v1", id="header-v1"),
        pytest.param(None, "v1", "v1", id="query-v1"),
        pytest.param(" v3 ", None, "v3", id="header-trimmed-in-message"),
        pytest.param(None, " v3 ", "v3", id="query-trimmed-in-message"),
        pytest.param("2", None, "2", id="bare-number"),
        pytest.param("v2.0", None, "v2.0", id="minor-version"),
        pytest.param("v1", "v2", "v1", id="header-wins-over-good-query"),
    ],
)
def test_unsupported_version_is_400_with_the_trimmed_value(
    client: TestClient, tenant, stored_requests, assert_error, header, query, shown
):
    # Given an Accept-Version other than v2
    headers = dict(tenant.headers)
    if header is not None:
        headers["Accept-Version"] = header
    params = {} if query is None else {"Accept-Version": query}
    # When a request is posted
    response = client.post("/costcenter", json=RECORDS, headers=headers, params=params)
    # Then it is refused naming the trimmed value, and nothing is stored
    assert_error(response, 400, f"Unsupported Accept-Version: {shown}")
    assert stored_requests() == 0


def test_version_is_checked_on_the_monitor_too(client: TestClient, tenant, assert_error):
    # Given a monitor read with an unsupported version
    headers = {**tenant.headers, "Accept-Version": "v1"}
    # When it is sent
    response = client.get("/process", params={"subunique": "0badf00d"}, headers=headers)
    # Then it is refused like a write
    assert_error(response, 400, "Unsupported Accept-Version: v1")


@pytest.mark.parametrize(("method", "path"), [("POST", "/costcenter"), ("GET", "/process")])
def test_version_is_checked_after_authentication(
    client: TestClient, tenant, assert_error, method, path
):
    # Given a bad version and no credentials
    # When the request is sent
    response = client.request(
        method, path, json=RECORDS, headers={"Accept-Version": "v1"}, params={"subunique": "x"}
    )
    # Then authentication answers first
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'


def test_version_is_checked_after_permission(client: TestClient, tenant, add_user, assert_error):
    # Given a bad version from a user not allowed the route
    people_only = add_user("people-only", tenant.code, ("people",))
    headers = {**people_only.headers, "Accept-Version": "v1"}
    # When it posts cost centers
    response = client.post("/costcenter", json=RECORDS, headers=headers)
    # Then the permission answers first
    assert_error(response, 403, "Forbidden")
