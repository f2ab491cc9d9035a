"""SPEC 1.1 "Browsers" and 1.4 check 1: cross-origin POSTs are refused before anything else.

A page of another site can make a browser that holds a dashboard user's Basic credentials
post a plain HTML form (its body can be JSON); the browser marks it with `Origin` and
`Sec-Fetch-Site`, which API clients never send.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.services.registry import SERVICES
from tests.driving import post_scope
from tests.tenants import basic_auth

REFUSED = "Cross-origin request refused"
RECORDS = [{"codigo": "C1", "nome": "Centro 1"}]
OWN = "http://testserver"  # the TestClient's scheme and Host
EVIL = {"Origin": "https://evil.example"}
WRITE_PATHS = [f"/{service.route}" for service in SERVICES.values()]


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(EVIL, id="other-origin"),
        pytest.param({"Origin": "http://testserver:8000"}, id="other-port"),
        pytest.param({"Origin": "https://testserver"}, id="other-scheme"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="sec-fetch-site-cross-site"),
        pytest.param({"Origin": OWN, "Sec-Fetch-Site": "cross-site"}, id="own-origin-cross-site"),
    ],
)
def test_cross_origin_post_with_valid_credentials_is_403(
    client: TestClient, tenant, stored_requests, assert_error, path, headers
):
    # Given a browser-made POST from another site carrying a user's valid credentials
    sent = {**tenant.headers, **headers}
    # When it is sent to a write route
    response = client.post(path, json=[{}], headers=sent)
    # Then it is refused, without any CORS header, and nothing is stored
    assert_error(response, 403, REFUSED)
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert stored_requests() == 0


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param({}, b"[{}]", id="no-credentials"),
        pytest.param({"Authorization": "Basic !!"}, b"[{}]", id="malformed-credentials"),
        pytest.param({"Authorization": "Bearer xyz"}, b"[{}]", id="other-scheme"),
        pytest.param("wrong-password", b"[{}]", id="wrong-password"),
        pytest.param({"Accept-Version": "v1"}, b"[{}]", id="bad-version"),
        pytest.param("credentials", b"[" + b" " * 1_048_576 + b"]", id="too-large"),
        pytest.param("credentials", b"<form>", id="invalid-json"),
        pytest.param("credentials", b"{}", id="not-an-array"),
    ],
)
def test_cross_origin_is_checked_before_everything_else(
    client: TestClient, tenant, stored_requests, assert_error, headers, body
):
    # Given a cross-origin POST that would also fail another check of SPEC 1.4
    if headers == "credentials":
        headers = tenant.headers
    elif headers == "wrong-password":
        headers = basic_auth(tenant.username, "wrong-password")
    # When it is sent
    response = client.post("/costcenter", content=body, headers={**headers, **EVIL})
    # Then the origin answers first (no challenge: credentials were not looked at)
    assert_error(response, 403, REFUSED)
    assert "www-authenticate" not in response.headers
    assert stored_requests() == 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin"),
        pytest.param({"Origin": OWN}, id="own-origin"),
        pytest.param({"Origin": "http://TestServer:80"}, id="own-origin-explicit-port"),
        pytest.param({"Origin": OWN, "Sec-Fetch-Site": "same-origin"}, id="fetch-same-origin"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="fetch-same-site-without-origin"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="fetch-none"),
    ],
)
def test_same_origin_and_api_client_posts_are_accepted(
    client: TestClient, tenant, stored_requests, headers
):
    # Given a POST from the server's own origin, or from an API client (no Origin)
    # When it is sent with valid credentials
    response = client.post("/costcenter", json=RECORDS, headers={**tenant.headers, **headers})
    # Then it is accepted and stored, without any CORS header
    assert response.status_code == 200
    assert response.json()["message"] == "Cost center's Integration on progress"
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert stored_requests() == 1


def test_https_origin_matches_a_request_that_arrived_over_https(
    settings, db, tenant, stored_requests, assert_error
):
    # Given requests that arrived over https (directly, or through a proxy uvicorn trusts)
    with TestClient(create_app(settings, db), base_url="https://testserver") as api:
        # When the dashboard's own https origin and the plain http one post
        own = api.post(
            "/costcenter", json=RECORDS, headers={**tenant.headers, "Origin": "https://testserver"}
        )
        http = api.post(
            "/costcenter", json=RECORDS, headers={**tenant.headers, "Origin": "http://testserver"}
        )
    # Then only the https one is the same origin
    assert own.status_code == 200
    assert_error(http, 403, REFUSED)
    assert stored_requests() == 1


def test_every_post_route_refuses_cross_origin(client: TestClient, tenant, assert_error):
    # Given every POST route the app serves (new ones included, e.g. a cancel route)
    paths = [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert set(WRITE_PATHS) <= set(paths)
    # When each gets a cross-origin POST with valid credentials
    # Then each refuses it
    for path in paths:
        assert_error(
            client.post(path, json=RECORDS, headers={**tenant.headers, **EVIL}), 403, REFUSED
        )


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("POST", "/nothing-here", 404, "Not Found"),
        ("POST", "/process", 405, "Method Not Allowed"),
        ("PUT", "/people", 405, "Method Not Allowed"),
    ],
)
def test_routing_still_comes_first(
    client: TestClient, tenant, assert_error, method, path, status, message
):
    # Given a cross-origin request to a path or method the API does not serve
    # When it is sent
    response = client.request(method, path, json=RECORDS, headers={**tenant.headers, **EVIL})
    # Then routing answers, as for any other request (SPEC 1.1)
    assert_error(response, status, message)


def test_cross_origin_reads_are_answered_but_without_cors_headers(
    client: TestClient, tenant, assert_error
):
    # Given a cross-origin GET (its answer stays unreadable to the other page: no CORS)
    headers = {**tenant.headers, **EVIL, "Sec-Fetch-Site": "cross-site"}
    # When the monitor is read
    response = client.get("/process", params={"subunique": "0badf00d"}, headers=headers)
    # Then it is answered as usual, and no Access-Control-* header is sent
    assert_error(response, 404, "Process not found")
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_a_cors_preflight_is_not_answered_with_cors_headers(
    client: TestClient, tenant, assert_error
):
    # Given a CORS preflight for a cross-origin JSON POST
    headers = {
        **EVIL,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    # When it is sent
    response = client.options("/people", headers=headers)
    # Then it is a plain 405, granting nothing
    assert_error(response, 405, "Method Not Allowed")
    assert not [name for name in response.headers if name.startswith("access-control-")]


def _post_over_asgi(app: Any, headers: dict[str, str]) -> tuple[int, bool]:
    """POST /costcenter straight through ASGI: (status, whether the body was read)."""
    read: list[bool] = []
    status: list[int] = []
    scope = post_scope("/costcenter", headers)

    async def receive() -> dict[str, Any]:
        read.append(True)
        return {"type": "http.request", "body": b'[{"codigo":"C1"}]', "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    anyio.run(app, scope, receive, send)
    return status[0], bool(read)


def test_a_cross_origin_body_is_never_read(settings, db, tenant):
    # Given the app, driven over ASGI so that reading the body can be observed
    app = create_app(settings, db)
    # When a cross-origin POST with valid credentials arrives, and then a same-origin one
    refused = _post_over_asgi(app, {**tenant.headers, **EVIL})
    accepted = _post_over_asgi(app, {**tenant.headers, "Origin": OWN})
    # Then the first is refused without a single read of its body; the second is read
    assert refused == (403, False)
    assert accepted == (200, True)
