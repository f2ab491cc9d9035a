"""Concurrent accepts committed together (itg/storage/intake.py `GroupCommit`, issue 10): each
request is stored exactly once, in its company's window, and answered only after the commit
that stored it; a turn that fails stores none of its requests and fails each. Both engines.

The turns are made deterministic by holding the company's write lock from the test (on
SQLite the process's writer lock, on PostgreSQL the company row the accept locks): the first
request's turn waits on it while the others queue behind that turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from itg.storage import intake
from itg.storage.database import Database
from itg.storage.intake import GroupCommit, NewRequest, StoredRequest
from itg.storage.schema import companies, request_payloads, requests, windows
from tests.tenants import Tenant

WAIT_SECONDS = 30.0  # generous: a bound on a stuck test, never a timing assertion


def new(tenant: Tenant, n: int, route: str = "costcenter") -> NewRequest:
    payload = b'[{"codigo":"%d","nome":"N"}]' % n
    return NewRequest(tenant.id, tenant.code, route, payload, 1, validity_seconds=900)


@contextmanager
def holding_writes(db: Database, company_id: int) -> Iterator[None]:
    """A write transaction holding what an accept of `company_id` must wait for."""
    with db.write() as conn:
        conn.execute(select(companies.c.id).where(companies.c.id == company_id).with_for_update())
        yield


@contextmanager
def counting_commits(db: Database) -> Iterator[Callable[[], int]]:
    """A counter of the commits `db`'s engine makes inside the block."""
    count = 0

    def counted(_conn: object) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "commit", counted)
    try:
        yield lambda: count
    finally:
        event.remove(db.engine, "commit", counted)


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a turn has taken its requests and is storing them."""
    entered = threading.Event()
    store_requests = intake.store_requests

    def entering(db: Database, batch: list[NewRequest]) -> list[StoredRequest]:
        entered.set()
        return store_requests(db, batch)

    monkeypatch.setattr(intake, "store_requests", entering)
    return entered


def store_concurrently(
    group: GroupCommit, batch: list[NewRequest]
) -> tuple[list[threading.Thread], dict[int, StoredRequest | BaseException]]:
    """Start one thread per request, each storing it through `group`."""
    results: dict[int, StoredRequest | BaseException] = {}

    def store(n: int, request: NewRequest) -> None:
        try:
            results[n] = group.store(request)
        except BaseException as exc:
            results[n] = exc

    threads = [threading.Thread(target=store, args=(n, request)) for n, request in enumerate(batch)]
    for thread in threads:
        thread.start()
    return threads, results


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the requests never queued"
        time.sleep(0.01)


def stored_rows(db: Database) -> list[tuple[str, str, str, bytes]]:
    """(company code, unique, subunique, payload) of every stored request, in acceptance order."""
    with db.read() as conn:
        return [
            tuple(row)  # type: ignore[misc]
            for row in conn.execute(
                select(
                    companies.c.code,
                    windows.c.unique_code,
                    requests.c.subunique,
                    request_payloads.c.payload,
                )
                .join(windows, windows.c.id == requests.c.window_id)
                .join(companies, companies.c.id == requests.c.company_id)
                .join(request_payloads, request_payloads.c.request_id == requests.c.id)
                .order_by(requests.c.id)
            )
        ]


def test_requests_queued_behind_a_turn_are_stored_in_one_commit(
    db: Database, tenant: Tenant, other_company: Tenant, turns: threading.Event
):
    # Given a first request whose turn waits for the write lock, and five more queued behind
    group = GroupCommit(db)
    batch = [new(tenant, 0)] + [new(other_company if n % 2 else tenant, n) for n in range(1, 6)]
    with counting_commits(db) as counted:
        with holding_writes(db, tenant.id):
            threads, results = store_concurrently(group, batch[:1])
            wait_until(turns.is_set)
            more, more_results = store_concurrently(group, batch[1:])
            wait_until(lambda: group.waiting == len(batch) - 1)
            assert not results and not more_results  # nothing is answered before its commit
        # When the lock is released
        for thread in threads + more:
            thread.join(WAIT_SECONDS)
        # Then the first turn committed its request alone, the next the five others at once
        assert counted() == 1 + 2  # the holder's, then two turns
    answers = [results[0], *(more_results[n] for n in range(len(batch) - 1))]
    assert all(isinstance(answer, StoredRequest) for answer in answers)
    # And each request is stored once, in its own company's window, with its own payload
    rows = stored_rows(db)
    assert len(rows) == len(batch)
    assert {(row[0], row[2], row[3]) for row in rows} == {
        (answer.company, answer.subunique, request.payload)  # type: ignore[union-attr]
        for answer, request in zip(answers, batch, strict=True)
    }
    uniques = {code: {row[1] for row in rows if row[0] == code} for code in {r[0] for r in rows}}
    assert {code: len(found) for code, found in uniques.items()} == {
        tenant.code: 1,
        other_company.code: 1,
    }
    assert all(answer.unique in uniques[answer.company] for answer in answers)  # type: ignore[union-attr]


def test_a_failed_turn_stores_none_of_its_requests_and_fails_each(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, turns: threading.Event
):
    # Given a storage step that fails on one request's payload, queued with two good ones
    store_one = intake._store

    def failing(
        conn: Connection, request: NewRequest, row: dict[str, Any], now: datetime
    ) -> StoredRequest:
        if request.payload == new(tenant, 2).payload:
            raise RuntimeError("disk on fire")
        return store_one(conn, request, row, now)

    monkeypatch.setattr(intake, "_store", failing)
    group = GroupCommit(db)
    batch = [new(tenant, n) for n in range(4)]
    with holding_writes(db, tenant.id):
        first, first_results = store_concurrently(group, batch[:1])
        wait_until(turns.is_set)
        rest, rest_results = store_concurrently(group, batch[1:])
        wait_until(lambda: group.waiting == len(batch) - 1)
    for thread in first + rest:
        thread.join(WAIT_SECONDS)
    # Then the first request, alone in its turn, is stored; the turn of the failing one
    # stored nothing and each of its requests got the error
    assert isinstance(first_results[0], StoredRequest)
    assert all(isinstance(rest_results[n], RuntimeError) for n in range(3))
    assert [row[2] for row in stored_rows(db)] == [first_results[0].subunique]
    # And the next request is stored as usual
    assert isinstance(group.store(new(tenant, 9)), StoredRequest)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar_one() == 2


def test_a_lone_request_is_stored_at_once_in_its_own_turn(db: Database, tenant: Tenant):
    # Given nothing else being accepted
    group = GroupCommit(db)
    # When requests are stored one after the other
    with counting_commits(db) as counted:
        stored = [group.store(new(tenant, n)) for n in range(3)]
    # Then each is committed on its own, all in the company's one window
    assert counted() == 3
    assert len({s.subunique for s in stored}) == 3
    assert len({s.unique for s in stored}) == 1
    assert group.waiting == 0
