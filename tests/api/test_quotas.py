"""SPEC 1.10: the backlog quota and the rate limit, with their exact 429 and `Retry-After`.

Both engines. The backlog is decided in the transaction that stores the request, also for
requests sharing one transaction (SQLite's GroupCommit): checked here on `store_requests`.
"""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from itg.storage.backlog import pending
from itg.storage.database import Database
from itg.storage.intake import NewRequest, Refused, StoredRequest, store_requests
from itg.storage.schema import company_backlog
from tests import engines

settings = engines.settings  # every test here on both engines

FULL = "Too many records waiting to be processed"
RATE = "Rate limit exceeded"


def records(n: int, prefix: str = "C") -> bytes:
    return orjson.dumps([{"codigo": f"{prefix}{i}", "nome": "Centro"} for i in range(n)])


def backlog(db: Database, company_id: int) -> int:
    with db.read() as conn:
        return pending(conn, company_id)


# --- backlog -----------------------------------------------------------------------------


def test_the_backlog_limit_is_inclusive_and_one_more_is_429(
    make_client, db, tenant, stored_requests, assert_error
):
    client = make_client(max_pending_records=5)
    assert client.post("/costcenter", content=records(3), headers=tenant.headers).status_code == 200
    # Exactly at the limit: accepted
    assert client.post("/costcenter", content=records(2), headers=tenant.headers).status_code == 200
    assert backlog(db, tenant.id) == 5
    # One more record: refused, nothing stored, the counter unchanged
    refused = client.post("/costcenter", content=records(1), headers=tenant.headers)
    assert_error(refused, 429, FULL)
    assert refused.headers["retry-after"] == "60"  # nothing finished in the last minute
    assert stored_requests() == 2
    assert backlog(db, tenant.id) == 5


def test_a_refused_key_is_not_consumed_by_a_full_backlog(make_client, tenant, assert_error):
    client = make_client(max_pending_records=1)
    headers = [*tenant.headers.items(), ("Idempotency-Key", "k")]
    assert_error(client.post("/costcenter", content=records(2), headers=headers), 429, FULL)
    response = client.post("/costcenter", content=records(1), headers=headers)
    assert response.status_code == 200
    assert "idempotent-replayed" not in response.headers


def test_retry_after_follows_the_apply_rate_of_the_last_minute(
    make_client, db, tenant, run_worker, assert_error
):
    client = make_client(max_pending_records=3)
    assert client.post("/costcenter", content=records(2), headers=tenant.headers).status_code == 200
    run_worker()  # 2 records finished now: 2 per minute
    assert client.post("/costcenter", content=records(2), headers=tenant.headers).status_code == 200
    refused = client.post("/costcenter", content=records(2), headers=tenant.headers)
    assert_error(refused, 429, FULL)
    # 1 record over the limit at 2 records a minute: 30 s
    assert refused.headers["retry-after"] == "30"


def test_the_quota_is_per_company(make_client, tenant, other_company):
    client = make_client(max_pending_records=2)
    assert client.post("/costcenter", content=records(2), headers=tenant.headers).status_code == 200
    answer = client.post("/costcenter", content=records(2), headers=other_company.headers)
    assert answer.status_code == 200


def test_zero_means_no_backlog_limit(make_client, tenant):
    client = make_client(max_pending_records=0, max_records=1000)
    for _ in range(3):
        response = client.post("/costcenter", content=records(1000), headers=tenant.headers)
        assert response.status_code == 200


def new(tenant, n: int, key: str | None = None, body: bytes = b"[{}]") -> NewRequest:
    return NewRequest(
        tenant.id,
        tenant.code,
        "costcenter",
        body,
        n,
        validity_seconds=900,
        idempotency_key=key,
        fingerprint=None if key is None else f"costcenter:{body.hex()}",
        max_pending=4,
    )


def test_one_transaction_settles_each_request_for_itself(db, tenant):
    """SQLite's GroupCommit stores several requests in one transaction: the quota counts the
    ones stored before in it, a key seen before in it is a replay, and a refusal refuses one
    request only (the others are stored)."""
    batch = [
        new(tenant, 2, "k"),
        new(tenant, 2, "k"),  # the same request again: a replay of the first
        new(tenant, 2, "k", body=b"[{},{}]"),  # another body under that key: 422
        new(tenant, 2),
        new(tenant, 1),  # 2 + 2 + 1 > 4
    ]
    first, replay, reused, second, full = store_requests(db, batch)
    assert isinstance(first, StoredRequest) and not first.replayed
    assert replay == StoredRequest(first.company, first.unique, first.subunique, replayed=True)
    assert isinstance(reused, Refused) and (reused.status_code, reused.message) == (
        422,
        "Idempotency-Key already used for a different request",
    )
    assert isinstance(second, StoredRequest) and not second.replayed
    assert isinstance(full, Refused) and (full.status_code, full.message) == (429, FULL)
    assert full.retry_after == 60
    with db.read() as conn:
        assert conn.execute(select(company_backlog.c.pending_records)).scalar_one() == 4


# --- rate --------------------------------------------------------------------------------


def test_the_rate_limit_is_429_before_the_body_is_read(
    make_client, tenant, stored_requests, assert_error
):
    # One request per 1000 s: the second one at once is refused, whatever the machine's load
    client = make_client(rate_per_second=0.001)
    assert client.post("/costcenter", content=records(1), headers=tenant.headers).status_code == 200
    # A body too large would be 413 if it were read: the rate comes first
    refused = client.post("/costcenter", content=b" " * 2_000_000, headers=tenant.headers)
    assert_error(refused, 429, RATE)
    assert 900 <= int(refused.headers["retry-after"]) <= 1000
    assert stored_requests() == 1


def test_the_rate_limit_comes_after_the_key_check(make_client, tenant, assert_error):
    client = make_client(rate_per_second=0.001)
    bad_key = [*tenant.headers.items(), ("Idempotency-Key", "has space")]
    assert_error(
        client.post("/costcenter", content=records(1), headers=bad_key),
        400,
        "Invalid Idempotency-Key",
    )
    # and a refused key took no token
    assert client.post("/costcenter", content=records(1), headers=tenant.headers).status_code == 200


@pytest.mark.parametrize("rate", [0, 0.0])
def test_rate_zero_is_off(make_client, tenant, rate):
    client = make_client(rate_per_second=rate)
    for _ in range(5):
        assert (
            client.post("/costcenter", content=records(1), headers=tenant.headers).status_code
            == 200
        )
