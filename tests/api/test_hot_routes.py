"""The hot read routes served in front of FastAPI (itg/api/hot.py, issue 10) answer exactly
what FastAPI's own handling of the same routes answers: status, headers and body, for every
method, spelling, credential and id; on both engines.

`app.framework` behind `LenientPaths` is how these routes were served before: FastAPI's own
handling (middleware stack and router). It is the reference each answer is compared with.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from itg.api.app import ItgApp, create_app
from itg.api.paths import LenientPaths
from itg.settings import Settings
from itg.storage.database import Database
from tests import engines
from tests.errors import error_body

settings = engines.settings  # every test here on both engines

RECORDS = [{"codigo": "A", "nome": "Alfa"}, {"codigo": "B"}]  # B fails: no name


@pytest.fixture
def app(settings: Settings, db: Database) -> ItgApp:
    built = create_app(settings, db)
    assert isinstance(built, ItgApp)
    return built


@pytest.fixture
def front(app: ItgApp) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def framework(app: ItgApp) -> TestClient:
    """The same app answered by FastAPI alone behind the lenient paths, as before the front
    door (its lifespan ran with `front`'s)."""
    paths = [path for path in (getattr(route, "path", None) for route in app.routes) if path]
    return TestClient(LenientPaths(app.framework, paths), raise_server_exceptions=False)


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    # The request id is the front's own (tests/api/test_request_id.py), a new one each time.
    headers = [item for item in response.headers.multi_items() if item[0] != "x-request-id"]
    return response.status_code, sorted(headers), response.content


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_every_request_to_a_hot_route_is_answered_as_fastapi_answers_it(
    front: TestClient, framework: TestClient, tenant, other_company, run_worker
):
    # Given a finished process with a failed record, a queued one, and another company's
    finished = front.post("/costcenter", json=RECORDS, headers=tenant.headers).json()
    run_worker()
    queued = front.post("/costcenter", json=RECORDS, headers=tenant.headers).json()
    foreign = front.post("/costcenter", json=RECORDS, headers=other_company.headers).json()
    good = tenant.headers
    cases: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        ("GET", "/process", {"subunique": finished["subunique"]}, good),
        ("GET", "/process", {"subunique": queued["subunique"]}, good),
        ("GET", "/process", {"unique": finished["unique"]}, good),
        ("GET", "/process", {"subunique": f" {finished['subunique']} "}, good),
        ("GET", "/process", {"subunique": "", "unique": queued["unique"]}, good),
        ("GET", "/process", {"subunique": foreign["subunique"]}, good),
        ("GET", "/process", {"subunique": "0badf00d"}, good),
        ("GET", "/process", {"subunique": "not an id%"}, good),
        ("GET", "/process", {}, good),
        ("GET", "/process", {"subunique": ""}, good),
        ("GET", "/process", {"subunique": finished["subunique"]}, {}),
        ("GET", "/process", {"subunique": finished["subunique"]}, {"Authorization": ""}),
        ("GET", "/process", {"subunique": "x"}, {"Authorization": "Basic !!!"}),
        ("GET", "/process", {"subunique": "x"}, {"Authorization": "Bearer abc"}),
        ("GET", "/process", {"subunique": "x"}, {"Authorization": basic(tenant.username, "no")}),
        ("GET", "/process", {"subunique": finished["subunique"]}, {**good, "Accept-Version": "v3"}),
        ("GET", "/process", {"subunique": finished["subunique"], "Accept-Version": "V2"}, good),
        ("GET", "/process", {"subunique": finished["subunique"], "Accept-Version": "v1"}, good),
        ("HEAD", "/process", {"subunique": finished["subunique"]}, good),
        ("HEAD", "/process", {}, good),
        ("POST", "/process", {"subunique": finished["subunique"]}, good),
        ("OPTIONS", "/process", {}, good),
        ("PUT", "/process", {}, {}),
        ("GET", "/PROCESS/", {"subunique": finished["subunique"]}, good),
        ("GET", "//Process", {"subunique": finished["subunique"]}, good),
        ("POST", "/Process/", {}, good),
        ("GET", "/healthz", {}, {}),
        ("HEAD", "/healthz", {}, {}),
        ("GET", "/HEALTHZ/", {}, {}),
        ("POST", "/healthz", {}, {}),
        ("GET", "/metrics", {}, {}),
        ("HEAD", "//metrics", {}, {}),
        ("DELETE", "/metrics", {}, {}),
        ("GET", "/process/extra", {}, good),
    ]
    for method, path, params, headers in cases:
        # When the front door and FastAPI alone each answer the request
        url = f"http://testserver{path}"  # `//process` is a path here, not an authority
        served = front.request(method, url, params=params, headers=headers)
        reference = framework.request(method, url, params=params, headers=headers)
        # Then both answers are the same, to the byte
        assert answer(served) == answer(reference), (method, path, params, headers)


def test_the_hot_routes_answer_per_spec_in_front_of_fastapi(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, tenant, run_worker
):
    # Given an app whose FastAPI handling notes the requests it sees
    seen: list[str] = []
    framework = ItgApp.framework

    async def noting(self: ItgApp, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(f"{scope['method']} {scope['path']}")
        await framework(self, scope, receive, send)

    monkeypatch.setattr(ItgApp, "framework", noting)
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        accepted = client.post("/costcenter", json=RECORDS, headers=tenant.headers).json()
        run_worker()
        assert seen == ["POST /costcenter"]
        # When the hot routes are read, leniently spelt too
        report = client.get("/process", params=accepted, headers=tenant.headers)
        again = client.get("http://testserver//PROCESS/", params=accepted, headers=tenant.headers)
        missing = client.get("/process", headers=tenant.headers)
        health = client.get("/healthz")
        metrics = client.get("/Metrics")
        # Then each answers per SPEC 1.2/1.6/1.7 without reaching FastAPI
        assert seen == ["POST /costcenter"]
        assert report.status_code == 200 and report.json()["status"] == "warning"
        assert again.content == report.content
        assert missing.status_code == 400
        assert missing.json() == error_body(400, "subunique is required")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert metrics.status_code == 200
        # And another method, HEAD included, still goes to FastAPI's router (405)
        refused = client.post("/process", headers=tenant.headers)
        assert refused.status_code == 405
        assert refused.json() == error_body(405, "Method Not Allowed")
        assert client.head("/healthz").status_code == 405
        assert seen == ["POST /costcenter", "POST /process", "HEAD /healthz"]


def test_an_unexpected_error_on_a_hot_route_is_logged_and_500(
    settings: Settings, db: Database, tenant, monkeypatch, caplog: pytest.LogCaptureFixture
):
    # Given a monitor whose storage read fails unexpectedly
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("itg.processes.report.report_subunique", explode)
    params = {"subunique": "0badf00d"}
    with caplog.at_level(logging.ERROR, "itg.api"):
        # When it is read by a client that sees server errors as answers
        with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
            response = client.get("/process", params=params, headers=tenant.headers)
        # Then it is a bare 500, and the detail is logged once with its traceback
        assert response.status_code == 500
        assert response.json() == error_body(500, "Internal Server Error")
        (record,) = [r for r in caplog.records if r.name == "itg.api"]
        assert record.exc_info is not None and "secret detail" in str(record.exc_info[1])
        # And, as FastAPI does, the error is raised on to the server (which logs it too)
        with (
            TestClient(create_app(settings, db)) as raising,
            pytest.raises(RuntimeError, match="secret detail"),
        ):
            raising.get("/process", params=params, headers=tenant.headers)
