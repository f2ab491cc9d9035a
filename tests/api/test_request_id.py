"""Request ids (SPEC 1.7, itg/api/request_id.py): every answer carries `X-Request-Id` — the
client's when it is sane, else a new one — the write routes store it with the request, and
the lines logged for a request carry it; on both engines."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from itg import logs
from itg.api.app import create_app
from itg.api.request_id import request_id_of
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import requests
from tests import engines
from tests.builders import person
from tests.errors import error_body
from tests.tenants import basic_auth

settings = engines.settings  # every test here on both engines

CPF = "39053344705"
GENERATED = re.compile(r"[0-9a-f]{32}")
SANE = [
    "a",
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "01HZX3K6Q2W8V5N7B9C4D1E0FG",
    "trace:4bf92f35/00f067aa+0ba9=02._-",
    "x" * 128,
]
INSANE = [
    b"",  # empty
    b"x" * 129,  # too long
    b"a b",  # a space
    b"a\tb",  # a control character
    b"a\x7fb",  # DEL
    "ação".encode(),  # non-ASCII (UTF-8)
    b"caf\xe9",  # non-ASCII (Latin-1)
    b"a;b",  # outside the set
    b'"quoted"',
    b"a,b",
]


@pytest.fixture
def front(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        yield client


def scope_with(*values: bytes) -> dict[str, object]:
    return {"headers": [(b"host", b"x"), *((b"x-request-id", value) for value in values)]}


@pytest.mark.parametrize("sent", SANE)
def test_a_sane_id_is_kept(sent: str):
    assert request_id_of(scope_with(sent.encode())) == sent


@pytest.mark.parametrize("sent", INSANE)
def test_an_insane_id_is_replaced_by_a_new_one(sent: bytes):
    assert GENERATED.fullmatch(request_id_of(scope_with(sent)))


def test_without_an_id_one_is_made_and_the_first_of_two_decides():
    first, second = request_id_of(scope_with()), request_id_of(scope_with())
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second
    assert request_id_of(scope_with(b"one", b"two")) == "one"
    assert GENERATED.fullmatch(request_id_of(scope_with(b"a b", b"two")))


@pytest.mark.parametrize("sent", ["0f8fad5b-d9cb-469f-a165-70867728950e", "x" * 128])
def test_a_sane_id_is_echoed_and_stored_with_the_request(
    front: TestClient, tenant, db: Database, sent: str
):
    # When a write request is sent with its id
    response = front.post(
        "/people", json=[person("M1")], headers={**tenant.headers, "X-Request-Id": sent}
    )
    # Then it is answered with it, and stored with the request
    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == [sent]
    with db.read() as conn:
        stored = conn.execute(
            select(requests.c.http_request_id).where(
                requests.c.subunique == response.json()["subunique"]
            )
        ).scalar_one()
    assert stored == sent


def test_a_write_request_without_an_id_is_stored_with_the_one_answered(
    front: TestClient, tenant, db: Database
):
    response = front.post("/people", json=[person("M1")], headers=tenant.headers)
    assert response.status_code == 200
    answered = response.headers["x-request-id"]
    assert GENERATED.fullmatch(answered)
    with db.read() as conn:
        stored = conn.execute(select(requests.c.http_request_id)).scalar_one()
    assert stored == answered


@pytest.mark.parametrize("sent", INSANE)
def test_an_insane_id_is_answered_with_a_new_one(front: TestClient, tenant, sent: bytes):
    response = front.get("/healthz", headers={"X-Request-Id": sent})
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_every_answer_carries_its_id(front: TestClient, tenant):
    wrong = basic_auth(tenant.username, "not-the-password")
    cases = [
        ("GET", "/healthz", {}, None, 200),
        ("GET", "/metrics", {}, None, 200),
        ("GET", "/process?subunique=0badf00d", tenant.headers, None, 404),
        ("GET", "/PROCESS/?subunique=0badf00d", tenant.headers, None, 404),
        ("GET", "/processes", tenant.headers, None, 200),
        ("GET", "/dashboard", tenant.headers, None, 200),
        ("GET", "/openapi.json", {}, None, 200),
        ("POST", "/people", wrong, b"[]", 401),
        ("POST", "/people", tenant.headers, b"[", 400),
        ("GET", "/people", tenant.headers, None, 405),
        ("GET", "/no-such-route", {}, None, 404),
    ]
    for n, (method, url, headers, body, status) in enumerate(cases):
        sent = f"case-{n}"
        response = front.request(
            method, url, headers={**headers, "X-Request-Id": sent}, content=body
        )
        assert (response.status_code, response.headers.get_list("x-request-id")) == (
            status,
            [sent],
        ), (method, url)
        # And without one, a new one each time
        again = front.request(method, url, headers=headers, content=body)
        assert again.status_code == status
        assert GENERATED.fullmatch(again.headers["x-request-id"]), (method, url)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The lines of itg.api in JSON (itg/logs.py), in a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("itg.api")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_an_unexpected_error_is_500_with_its_id_logged_without_its_message(
    settings: Settings, db: Database, tenant, monkeypatch, json_log: io.StringIO
):
    # Given a monitor whose storage read fails with a message quoting a record
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"Key (cpf)=({CPF}) already exists")

    monkeypatch.setattr("itg.processes.report.report_subunique", explode)
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        # When it is read with a request id
        response = client.get(
            "/process",
            params={"subunique": "0badf00d"},
            headers={**tenant.headers, "X-Request-Id": "req-500"},
        )
    # Then the 500 carries the id, and so does its log line, without the error's message
    assert response.status_code == 500
    assert response.json() == error_body(500, "Internal Server Error")
    assert response.headers["x-request-id"] == "req-500"
    (line,) = [json.loads(text) for text in json_log.getvalue().splitlines()]
    assert (line["logger"], line["level"], line["request_id"]) == ("itg.api", "ERROR", "req-500")
    assert line["exc_info"].endswith("RuntimeError: (message not logged)")
    assert CPF not in json_log.getvalue()
