"""SPEC 1.8: the Idempotency-Key of the write routes, on both engines.

The header's format, the replay (byte for byte, `Idempotent-Replayed: true`, nothing stored or
applied again), the 422 of a key reused for another request, the company scope, and the key's
life: a refused request does not consume it, the purge frees it.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select

from itg.storage.database import Database
from itg.storage.purge import purge
from itg.storage.schema import cost_centers, requests
from itg.timeutil import utcnow
from tests import engines

settings = engines.settings  # every test here on both engines

BODY = orjson.dumps([{"codigo": "A", "nome": "Alfa"}, {"codigo": "B", "nome": "Beta"}])
ROUTE = "/costcenter"
INVALID = "Invalid Idempotency-Key"
REUSED = "Idempotency-Key already used for a different request"


def keyed(tenant, key: str | bytes) -> list[tuple[str, str | bytes]]:
    return [*tenant.headers.items(), ("Idempotency-Key", key)]


def applied_count(db: Database) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(cost_centers)).scalar_one()


# --- format ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("abc-123_XYZ.~!", "abc-123_XYZ.~!"),
        ('"abc"', "abc"),
        ('"a\\"b\\\\c"', 'a"b\\c'),
        ("k" * 255, "k" * 255),
        ("  padded\t", "padded"),  # optional whitespace around a field value is not the value
    ],
)
def test_a_valid_key_is_stored_with_the_request(client, db, tenant, sent, stored):
    response = client.post(ROUTE, content=BODY, headers=keyed(tenant, sent))
    assert response.status_code == 200, response.text
    with db.read() as conn:
        assert conn.execute(select(requests.c.idempotency_key)).scalar_one() == stored


@pytest.mark.parametrize(
    "sent",
    [
        "k" * 256,
        "has space",
        "caf\xe9".encode("latin-1"),
        b"",
        '""',
        '"unterminated',
        '"a"b"',
        '"bad\\escape"',
        "tab\there",
    ],
    ids=[
        "256-chars",
        "space",
        "non-ascii",
        "empty",
        "empty-sf",
        "open-quote",
        "inner-quote",
        "bad-escape",
        "tab",
    ],
)
def test_an_invalid_key_is_400_and_stores_nothing(
    client, tenant, stored_requests, assert_error, sent
):
    response = client.post(ROUTE, content=BODY, headers=keyed(tenant, sent))
    assert_error(response, 400, INVALID)
    assert stored_requests() == 0


def test_two_key_headers_are_400(client, tenant, stored_requests, assert_error):
    headers = [*keyed(tenant, "one"), ("Idempotency-Key", "two")]
    assert_error(client.post(ROUTE, content=BODY, headers=headers), 400, INVALID)
    assert stored_requests() == 0


def test_the_key_is_checked_after_accept_version_and_before_the_body(client, tenant, assert_error):
    # Accept-Version comes first (SPEC 1.4 check 1)
    headers = [*keyed(tenant, "has space"), ("Accept-Version", "v9")]
    assert_error(
        client.post(ROUTE, content=BODY, headers=headers),
        400,
        "Unsupported Accept-Version: v9",
    )
    # and the key before the size and JSON checks
    too_big = b"[" + b" " * 1_048_576 + b"]"
    assert_error(
        client.post(ROUTE, content=too_big, headers=keyed(tenant, "has space")), 400, INVALID
    )


# --- replay ------------------------------------------------------------------------------


def test_a_replay_is_the_original_answer_byte_for_byte(client, db, tenant, run_worker):
    first = client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1"))
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    run_worker()
    assert applied_count(db) == 2
    # The same request again, after it was applied, and once more
    for _ in range(2):
        again = client.post(ROUTE, content=BODY, headers=keyed(tenant, '"k1"'))
        assert again.status_code == 200
        assert again.content == first.content
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == "application/json"
    # Nothing new stored, nothing applied again
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == 1
    assert run_worker() == 0
    assert applied_count(db) == 2


def test_a_replay_answers_even_when_the_backlog_is_full(make_client, tenant, stored_requests):
    client = make_client(max_pending_records=2)
    first = client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1"))
    assert first.status_code == 200
    # The backlog is full now (2 of 2), yet the lookup comes first
    again = client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1"))
    assert again.status_code == 200
    assert again.content == first.content
    assert stored_requests() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (ROUTE, orjson.dumps([{"codigo": "A", "nome": "Outro"}])),
        (ROUTE, b"\xef\xbb\xbf" + BODY),  # the same JSON, other bytes
        ("/subsidiaries", BODY),
    ],
    ids=["other-body", "other-bytes", "other-route"],
)
def test_a_key_reused_for_another_request_is_422(
    client, tenant, stored_requests, assert_error, path, body
):
    assert client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1")).status_code == 200
    assert_error(client.post(path, content=body, headers=keyed(tenant, "k1")), 422, REUSED)
    assert stored_requests() == 1


def test_a_key_is_scoped_to_its_company(client, tenant, other_company, stored_requests):
    mine = client.post(ROUTE, content=BODY, headers=keyed(tenant, "shared"))
    theirs = client.post(ROUTE, content=BODY, headers=keyed(other_company, "shared"))
    assert mine.status_code == theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["company"] == other_company.code
    assert stored_requests() == 2


def test_requests_without_a_key_are_never_replayed(client, tenant, stored_requests):
    first = client.post(ROUTE, content=BODY, headers=tenant.headers)
    second = client.post(ROUTE, content=BODY, headers=tenant.headers)
    assert first.json()["subunique"] != second.json()["subunique"]
    assert stored_requests() == 2


# --- the key's life ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"[{", 400, "Invalid JSON"),
        (b"[]", 400, "Request must contain at least one record"),
        (b"[" + b" " * 1_048_576 + b"]", 413, "Request body exceeds 1 MiB"),
    ],
    ids=["invalid-json", "empty", "too-large"],
)
def test_a_refused_request_does_not_consume_its_key(
    client, tenant, stored_requests, assert_error, body, status, message
):
    assert_error(client.post(ROUTE, content=body, headers=keyed(tenant, "k1")), status, message)
    assert stored_requests() == 0
    response = client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1"))
    assert response.status_code == 200
    assert "idempotent-replayed" not in response.headers
    assert stored_requests() == 1


def test_the_purge_frees_the_key(client, db, tenant, run_worker, stored_requests):
    first = client.post(ROUTE, content=BODY, headers=keyed(tenant, "k1"))
    run_worker()
    assert purge(db, utcnow() + timedelta(seconds=1)) == 1
    assert stored_requests() == 0
    # The key names no request any more: another body under it is a new request
    other = orjson.dumps([{"codigo": "Z", "nome": "Zeta"}])
    second = client.post(ROUTE, content=other, headers=keyed(tenant, "k1"))
    assert second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert second.json()["subunique"] != first.json()["subunique"]
    assert stored_requests() == 1
