"""SPEC 1.5: `subunique` per request, `unique` per window of a company's consecutive requests.

The window tests step the test's clock (tests/clocks.py) instead of sleeping.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select

from itg.storage.schema import requests
from tests import clocks

clock = clocks.clock

HEX8 = re.compile(r"^[0-9a-f]{8}$")
RECORDS = [{"codigo": "C1", "nome": "Centro 1"}]
VALIDITY = 60  # ITG_VALIDITY_SECONDS of the window tests
JUST_UNDER = VALIDITY - 0.001


def post(api: TestClient, headers: dict[str, str], path: str = "/costcenter") -> dict[str, str]:
    response = api.post(path, json=RECORDS, headers=headers)
    assert response.status_code == 200
    return response.json()


def test_requests_within_the_window_share_unique_with_distinct_subuniques(
    client: TestClient, tenant
):
    # Given a company's first request
    first = post(client, tenant.headers)
    # When it sends two more right away, on both routes
    second = post(client, tenant.headers, "/people")
    third = post(client, tenant.headers)
    # Then all three share the unique, and each has its own subunique
    assert first["unique"] == second["unique"] == third["unique"]
    assert len({first["subunique"], second["subunique"], third["subunique"]}) == 3


def test_a_new_unique_starts_after_the_validity_window(make_client, tenant, clock):
    # Given a server with ITG_VALIDITY_SECONDS=60 and a first request
    api = make_client(validity_seconds=VALIDITY)
    first = post(api, tenant.headers)
    # When the next request comes 60 s later (the previous one is not "less than 60 s ago")
    clock.advance(VALIDITY)
    second = post(api, tenant.headers)
    # Then it opens a new window
    assert HEX8.match(second["unique"])
    assert second["unique"] != first["unique"]
    assert second["subunique"] != first["subunique"]


def test_the_window_slides_with_every_request(make_client, tenant, clock):
    # Given a server with ITG_VALIDITY_SECONDS=60
    api = make_client(validity_seconds=VALIDITY)
    # When four requests come just under 60 s apart (three minutes from first to last)
    answers = [post(api, tenant.headers)]
    for _ in range(3):
        clock.advance(JUST_UNDER)
        answers.append(post(api, tenant.headers))
    # Then each is within 60 s of the previous one, so they all share one unique
    assert len({answer["unique"] for answer in answers}) == 1
    # and the window closes 60 s after its last request
    clock.advance(VALIDITY)
    assert post(api, tenant.headers)["unique"] != answers[0]["unique"]


def test_concurrent_first_requests_open_a_single_window(client: TestClient, tenant):
    # Given a company without a window
    # When twelve requests arrive at the same time
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: post(client, tenant.headers), range(12)))
    # Then they all share one unique, each with its own subunique
    assert len({answer["unique"] for answer in answers}) == 1
    assert len({answer["subunique"] for answer in answers}) == 12


def test_subuniques_are_random_hex_not_sequential(client: TestClient, tenant):
    # Given twenty requests of one company
    answers = [post(client, tenant.headers) for _ in range(20)]
    # When their subuniques are read as numbers in acceptance order
    subuniques = [answer["subunique"] for answer in answers]
    numbers = [int(s, 16) for s in subuniques]
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    # Then they are 8 lowercase hex characters, all distinct, without a fixed step
    assert all(HEX8.match(s) for s in subuniques)
    assert len(set(subuniques)) == 20
    assert len(steps) > 1
    assert numbers != sorted(numbers)


def test_each_company_has_its_own_window(client: TestClient, tenant, other_company):
    # Given company A inside an open window
    a_first = post(client, tenant.headers)
    # When company B posts, then A again
    b_first = post(client, other_company.headers)
    a_second = post(client, tenant.headers)
    # Then B got its own unique under its own code, and A's window was not broken by B
    assert b_first["company"] == "b000202"
    assert a_first["company"] == a_second["company"] == tenant.code
    assert b_first["unique"] != a_first["unique"]
    assert a_second["unique"] == a_first["unique"]


def test_a_colliding_subunique_is_drawn_again(client: TestClient, db, tenant, monkeypatch):
    # Given a random source whose next draws repeat an existing subunique, then a fresh one
    draws = iter(["aaaaaaaa", "bbbbbbbb", "bbbbbbbb", "cccccccc"])
    monkeypatch.setattr("itg.storage.intake.random_id", lambda: next(draws))
    first = post(client, tenant.headers)
    # When the next request draws the taken subunique first
    second = post(client, tenant.headers)
    # Then it is stored under a fresh draw, in the same window
    assert (first["unique"], first["subunique"]) == ("aaaaaaaa", "bbbbbbbb")
    assert (second["unique"], second["subunique"]) == ("aaaaaaaa", "cccccccc")
    with db.read() as conn:
        stored = conn.execute(select(requests.c.subunique).order_by(requests.c.id)).scalars()
        assert list(stored) == ["bbbbbbbb", "cccccccc"]


def test_a_colliding_unique_is_drawn_again(make_client, tenant, monkeypatch, clock):
    # Given a first window, and a random source that repeats its unique for the next window
    draws = iter(["aaaaaaaa", "11111111", "aaaaaaaa", "bbbbbbbb", "22222222"])
    monkeypatch.setattr("itg.storage.intake.random_id", lambda: next(draws))
    api = make_client(validity_seconds=VALIDITY)
    first = post(api, tenant.headers)
    # When a request after the window draws the taken unique first
    clock.advance(VALIDITY)
    second = post(api, tenant.headers)
    # Then its new window gets a fresh draw
    assert (first["unique"], first["subunique"]) == ("aaaaaaaa", "11111111")
    assert (second["unique"], second["subunique"]) == ("bbbbbbbb", "22222222")


def test_ids_are_unique_per_company_not_globally(
    client: TestClient, tenant, other_company, monkeypatch
):
    # Given two companies whose draws happen to produce the same ids
    draws = iter(["aaaaaaaa", "bbbbbbbb"] * 2)
    monkeypatch.setattr("itg.storage.intake.random_id", lambda: next(draws))
    # When each posts once
    a = post(client, tenant.headers)
    b = post(client, other_company.headers, "/people")
    # Then both are accepted with the same ids, and each company reads back its own process
    assert (a["unique"], a["subunique"]) == ("aaaaaaaa", "bbbbbbbb")
    assert (b["unique"], b["subunique"]) == ("aaaaaaaa", "bbbbbbbb")
    params = {"subunique": "bbbbbbbb"}
    a_report = client.get("/process", params=params, headers=tenant.headers).json()
    b_report = client.get("/process", params=params, headers=other_company.headers).json()
    assert (a_report["company"], a_report["route"]) == (tenant.code, "costcenter")
    assert (b_report["company"], b_report["route"]) == ("b000202", "people")
