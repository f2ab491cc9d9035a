"""SPEC 1.4: the request-level checks of the write routes, in order, and the 200 answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from itg.api.app import create_app
from itg.storage.schema import request_payloads, requests
from tests.driving import post_scope
from tests.errors import error_body

ONE_MIB = 1_048_576
HEX8 = re.compile(r"^[0-9a-f]{8}$")
ROUTES = [
    ("/people", [{"matricula": "1", "nome": "Ana"}], "People Integration on progress"),
    ("/costcenter", [{"codigo": "C1", "nome": "Centro"}], "Cost center's Integration on progress"),
]


def padded(records: list[dict[str, object]], size: int) -> bytes:
    """A JSON array of `records` padded with insignificant whitespace to exactly `size` bytes."""
    body = orjson.dumps(records)
    return body[:-1] + b" " * (size - len(body)) + b"]"


# --- success -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "records", "message"), ROUTES)
def test_accepted_request_answers_200_with_exactly_four_keys(
    client: TestClient, db, tenant, path, records, message
):
    # Given a well-formed request sent as text/plain (Content-Type is not checked)
    body = orjson.dumps(records)
    headers = {**tenant.headers, "Content-Type": "text/plain"}
    # When it is posted
    response = client.post(path, content=body, headers=headers)
    # Then it is a 200 with the company, two ids and the route's message
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert list(answer) == ["company", "unique", "subunique", "message"]
    assert answer["company"] == tenant.code
    assert answer["message"] == message
    assert HEX8.match(answer["unique"])
    assert HEX8.match(answer["subunique"])
    # And the request was committed, queued with its records, before the answer
    with db.read() as conn:
        row = conn.execute(
            select(requests, request_payloads.c.payload).join(request_payloads)
        ).one()
    assert (row.subunique, row.route, row.total, row.status) == (
        answer["subunique"],
        path.lstrip("/"),
        len(records),
        "queued",
    )
    assert row.payload == body


def test_request_without_content_type_is_accepted(client: TestClient, tenant):
    # Given a JSON body sent with no Content-Type at all
    # When it is posted
    response = client.post("/costcenter", content=b'[{"codigo":"C1"}]', headers=tenant.headers)
    # Then it is accepted
    assert response.status_code == 200
    assert response.json()["message"] == "Cost center's Integration on progress"


# --- 2. size -----------------------------------------------------------------------------


def test_body_of_exactly_the_limit_is_accepted(client: TestClient, tenant, stored_requests):
    # Given a body of exactly ITG_MAX_BODY_BYTES (default 1 MiB)
    body = padded([{"codigo": "C1", "nome": "Centro"}], ONE_MIB)
    assert len(body) == ONE_MIB
    # When it is posted
    response = client.post("/costcenter", content=body, headers=tenant.headers)
    # Then it is accepted and stored
    assert response.status_code == 200
    assert stored_requests() == 1


def test_body_one_byte_over_the_limit_is_413(
    client: TestClient, tenant, stored_requests, assert_error
):
    # Given a valid body one byte over 1 MiB
    body = padded([{"codigo": "C1", "nome": "Centro"}], ONE_MIB + 1)
    # When it is posted
    response = client.post("/costcenter", content=body, headers=tenant.headers)
    # Then it is refused in MiB, and nothing is stored
    assert_error(response, 413, "Request body exceeds 1 MiB")
    assert stored_requests() == 0


@pytest.mark.parametrize(("size", "status"), [(100, 200), (101, 413)])
def test_another_limit_is_named_in_bytes(
    make_client, tenant, stored_requests, assert_error, size, status
):
    # Given a server with ITG_MAX_BODY_BYTES=100
    api = make_client(max_body_bytes=100)
    # When a body of exactly 100 bytes, or of 101, is posted
    response = api.post("/costcenter", content=padded([{}], size), headers=tenant.headers)
    # Then 100 is accepted and 101 refused in bytes
    if status == 200:
        assert response.status_code == 200
        assert stored_requests() == 1
    else:
        assert_error(response, 413, "Request body exceeds 100 bytes")
        assert stored_requests() == 0


def test_streamed_body_without_content_length_is_413(
    client: TestClient, tenant, stored_requests, assert_error
):
    # Given a body streamed in chunks, with no Content-Length
    def chunks() -> Iterator[bytes]:
        yield b'[{"codigo":"C1"}'
        for _ in range(20):
            yield b" " * 65_536
        yield b"]"

    # When it is posted
    response = client.post("/costcenter", content=chunks(), headers=tenant.headers)
    # Then the size is counted while reading, and nothing is stored
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "Request body exceeds 1 MiB")
    assert stored_requests() == 0


def _post_asgi(app: FastAPI, headers: dict[str, str], chunk_count: int) -> tuple[int, bytes, int]:
    """POST /costcenter straight to the ASGI app, streaming 64 KiB chunks.

    Returns the status, the body, and how many chunks the app pulled: this is how a test sees
    whether the app stopped reading once the limit was passed.
    """
    chunk = b"[" + b" " * 65_535
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < chunk_count}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = post_scope("/costcenter", headers)
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, pulled


def test_limit_is_enforced_while_streaming(settings, db, tenant, stored_requests):
    # Given a client streaming 4 MiB in 64 KiB chunks without a Content-Length
    app = create_app(settings, db)
    # When it posts
    status, body, pulled = _post_asgi(app, tenant.headers, chunk_count=64)
    # Then the app stops reading at the first chunk past 1 MiB (16 chunks) and answers 413
    assert status == 413
    assert orjson.loads(body) == error_body(413, "Request body exceeds 1 MiB")
    assert pulled == 17
    assert stored_requests() == 0


def test_declared_content_length_over_the_limit_is_413_before_reading(
    settings, db, tenant, stored_requests
):
    # Given a client declaring a Content-Length over 1 MiB
    app = create_app(settings, db)
    headers = {**tenant.headers, "Content-Length": str(ONE_MIB + 1)}
    # When it posts
    status, body, pulled = _post_asgi(app, headers, chunk_count=17)
    # Then it is refused without reading any of the body
    assert status == 413
    assert orjson.loads(body) == error_body(413, "Request body exceeds 1 MiB")
    assert pulled == 0
    assert stored_requests() == 0


# --- 3–7. shape --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty-body"),
        pytest.param(b"[{", id="truncated"),
        pytest.param(b"not json", id="text"),
        pytest.param(b"[{'codigo': 'C1'}]", id="single-quotes"),
        pytest.param(b'[{"codigo":"C1"}] []', id="trailing-garbage"),
        pytest.param(b'[{"codigo":NaN}]', id="nan"),
    ],
)
def test_invalid_json_or_utf8_is_400(
    client: TestClient, tenant, stored_requests, assert_error, body
):
    # Given a body that is valid UTF-8 but not JSON (bodies that are not valid UTF-8 have a
    # message of their own: tests/e2e/test_lenient_wire.py)
    # When it is posted
    response = client.post("/costcenter", content=body, headers=tenant.headers)
    # Then it is refused, and nothing is stored
    assert_error(response, 400, "Invalid JSON")
    assert stored_requests() == 0


@pytest.mark.parametrize(
    "body", [b"{}", b'{"codigo":"C1"}', b'"[]"', b"1", b"null", b"true"], ids=repr
)
def test_non_array_is_400(client: TestClient, tenant, stored_requests, assert_error, body):
    # Given valid JSON that is not an array
    # When it is posted
    response = client.post("/costcenter", content=body, headers=tenant.headers)
    # Then it is refused, and nothing is stored
    assert_error(response, 400, "Request format must be an Array")
    assert stored_requests() == 0


def test_empty_array_is_400(client: TestClient, tenant, stored_requests, assert_error):
    # Given an empty array
    # When it is posted
    response = client.post("/costcenter", content=b" [ ] ", headers=tenant.headers)
    # Then it is refused, and nothing is stored
    assert_error(response, 400, "Request must contain at least one record")
    assert stored_requests() == 0


@pytest.mark.parametrize(("count", "status"), [(1000, 200), (1001, 400)])
def test_at_most_1000_records(
    client: TestClient, tenant, stored_requests, assert_error, count, status
):
    # Given 1000 or 1001 records (the default ITG_MAX_RECORDS)
    records = [{"codigo": str(i)} for i in range(count)]
    # When they are posted
    response = client.post("/costcenter", json=records, headers=tenant.headers)
    # Then 1000 is accepted and 1001 refused, storing nothing
    if status == 200:
        assert response.status_code == 200
        assert stored_requests() == 1
    else:
        assert_error(response, 400, "Request exceeds 1000 records")
        assert stored_requests() == 0


@pytest.mark.parametrize(("count", "status"), [(3, 200), (4, 400)])
def test_another_record_limit_is_named(
    make_client, tenant, stored_requests, assert_error, count, status
):
    # Given a server with ITG_MAX_RECORDS=3
    api = make_client(max_records=3)
    # When 3 or 4 records are posted
    response = api.post("/costcenter", json=[{}] * count, headers=tenant.headers)
    # Then the message names the configured limit
    if status == 200:
        assert response.status_code == 200
        assert stored_requests() == 1
    else:
        assert_error(response, 400, "Request exceeds 3 records")
        assert stored_requests() == 0


@pytest.mark.parametrize(
    ("records", "index"),
    [
        ([{}, 1], 1),
        ([[]], 0),
        ([{}, {}, None], 2),
        ([{}, "text", 2], 1),
        ([{"codigo": "C1"}, {"codigo": "C2"}, True], 2),
    ],
    ids=repr,
)
def test_non_object_record_is_400_naming_its_index(
    client: TestClient, tenant, stored_requests, assert_error, records, index
):
    # Given an array with an element that is not an object
    # When it is posted
    response = client.post("/costcenter", json=records, headers=tenant.headers)
    # Then the first such element is named, and nothing is stored
    assert_error(response, 400, f"Record at index {index} must be an object")
    assert stored_requests() == 0


# --- order of the checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        pytest.param(b"x" * (ONE_MIB + 1), "no-auth", 401, "Unauthorized", id="auth-before-size"),
        pytest.param(b"x" * (ONE_MIB + 1), "bad-version", 400,
                     "Unsupported Accept-Version: v1", id="version-before-size"),
        pytest.param(b"[", "bad-version", 400, "Unsupported Accept-Version: v1",
                     id="version-before-json"),
        pytest.param(b"{" * (ONE_MIB + 1), "auth", 413, "Request body exceeds 1 MiB",
                     id="size-before-json"),
        pytest.param(b"{}", "auth", 400, "Request format must be an Array",
                     id="array-before-empty"),
        pytest.param(b"[" + b"1," * 1000 + b"1]", "auth", 400, "Request exceeds 1000 records",
                     id="count-before-element-type"),
    ],
)  # fmt: skip
def test_checks_run_in_the_specified_order(
    client: TestClient, tenant, stored_requests, assert_error, body, headers, status, message
):
    # Given a request failing two checks at once
    sent = {
        "no-auth": {},
        "bad-version": {**tenant.headers, "Accept-Version": "v1"},
        "auth": tenant.headers,
    }[headers]
    # When it is posted
    response = client.post("/costcenter", content=body, headers=sent)
    # Then the earlier check answers, and nothing is stored
    assert_error(response, status, message)
    assert stored_requests() == 0
