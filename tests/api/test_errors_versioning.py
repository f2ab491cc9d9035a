"""SPEC 1.2 (the error shape, 500 without internals) and 1.3 (Accept-Version)."""

from __future__ import annotations

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from itg.api.responses import ApiError
from itg.api.versioning import check_version
from tests.errors import error_body

RECORDS = [{"codigo": "C1", "nome": "Centro 1"}]


# --- 1.2 errors --------------------------------------------------------------------------


AUTH = "credentials"
BAD_VERSION = {"Accept-Version": "v1"}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"),
    [
        ("POST", "/people", b"[{}]", {}, 401, "Unauthorized"),
        ("POST", "/people", b"[{}]", {"Authorization": "Token x"}, 401, "Unauthorized"),
        ("POST", "/people", b"[{}]", {"Authorization": "Token"}, 400,
         "Malformed Authorization header"),
        ("POST", "/people", b"[{}]", {"Origin": "null"}, 403, "Cross-origin request refused"),
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
    assert response.json() == error_body(status, message)


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

    monkeypatch.setattr("itg.processes.report.report_subunique", explode)
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
    people_only = add_user("people-only", tenant, ("people",))
    headers = {**people_only.headers, "Accept-Version": "v1"}
    # When it posts cost centers
    response = client.post("/costcenter", json=RECORDS, headers=headers)
    # Then the permission answers first
    assert_error(response, 403, "Forbidden")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param(b"v\xc3\xa9", "vé", id="utf-8"),
        pytest.param(b" \xc3\xa9 \t", "é", id="utf-8-trimmed"),
        pytest.param("v€2".encode(), "v€2", id="utf-8-three-bytes"),
        pytest.param(b"v\xe9", "vé", id="latin-1-when-not-utf-8"),
        pytest.param(b"v\xff\xfe", "v\xff\xfe", id="invalid-utf-8"),
        pytest.param(b"v\xc3", "v\xc3", id="truncated-utf-8"),
    ],
)
def test_unsupported_header_version_is_echoed_as_sent(
    client: TestClient, tenant, stored_requests, assert_error, raw, shown
):
    # Given an Accept-Version header sent as raw bytes (UTF-8, or latin-1 when not UTF-8),
    # through httpx's ASGI transport, which hands the bytes over as sent (TestClient would
    # decode and re-encode them as UTF-8)
    headers = {**tenant.headers, "Accept-Version": raw}

    async def send() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            write = await api.post("/costcenter", json=RECORDS, headers=headers)
            read = await api.get("/process", params={"subunique": "0badf00d"}, headers=headers)
            return write, read

    # When a write and a monitor read carry it
    write, read = anyio.run(send)
    # Then both name the value as it was sent, not its latin-1 reading; nothing is stored
    assert_error(write, 400, f"Unsupported Accept-Version: {shown}")
    assert_error(read, 400, f"Unsupported Accept-Version: {shown}")
    assert stored_requests() == 0


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        pytest.param(b"Accept-Version=v%C3%A9", "vé", id="percent-encoded-utf-8"),
        pytest.param(b"Accept-Version=v%E9", "vé", id="percent-encoded-latin-1"),
        pytest.param(b"Accept-Version=+v%C3%A9+", "vé", id="plus-as-space-trimmed"),
        pytest.param(b"Accept-Version=v1&Accept-Version=v%C3%A9", "vé", id="last-one-wins"),
        pytest.param(b"Accept%2DVersion=v%C3%A9", "vé", id="percent-encoded-name"),
    ],
)
def test_unsupported_query_version_is_echoed_as_sent(
    client: TestClient, tenant, assert_error, query, shown
):
    # Given an Accept-Version query parameter naming a non-ASCII version
    url = "/costcenter?" + query.decode("ascii")
    # When a request carries it
    response = client.post(url, json=RECORDS, headers=tenant.headers)
    # Then the message names the value as sent
    assert_error(response, 400, f"Unsupported Accept-Version: {shown}")


def test_raw_non_ascii_query_bytes_are_echoed_as_sent():
    # Given a query string holding raw (not percent-encoded) UTF-8, as a sloppy client sends
    # it and uvicorn passes it on; the header is absent
    scope = {"type": "http", "headers": [], "query_string": b"Accept-Version=v\xc3\xa9"}
    # When the version is checked
    with pytest.raises(ApiError) as refused:
        check_version(Request(scope))
    # Then the value is named as sent
    assert refused.value.status_code == 400
    assert refused.value.message == "Unsupported Accept-Version: vé"


def test_a_non_ascii_header_wins_over_a_good_query(client: TestClient, tenant, assert_error):
    # Given a UTF-8 header and a v2 query parameter
    headers = {**tenant.headers, "Accept-Version": "vé".encode()}
    # When a request carries both
    response = client.post("/costcenter?Accept-Version=v2", json=RECORDS, headers=headers)
    # Then the header decides
    assert_error(response, 400, "Unsupported Accept-Version: vé")
