"""SPEC 1.5–1.6: a finished process is readable for ITG_VALIDITY_SECONDS, then 410 until
purged (ITG_RETENTION_DAYS), then 404; an unfinished one never expires.

Time is the test's clock (tests/clocks.py): it stands still while the test reads, and steps
to either side of each boundary, so no margin depends on how fast the machine runs.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests import clocks

clock = clocks.clock

GOOD = {"codigo": "A", "nome": "Alfa"}
VALIDITY = 60  # ITG_VALIDITY_SECONDS of these tests
JUST_UNDER = VALIDITY - 0.001


def post(api: TestClient, headers: dict[str, str], records: list[dict[str, Any]]) -> dict[str, str]:
    response = api.post("/costcenter", json=records, headers=headers)
    assert response.status_code == 200
    return response.json()


def get(api: TestClient, headers: dict[str, str], **params: str) -> httpx.Response:
    return api.get("/process", params=params, headers=headers)


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_finished_process_expires_after_validity(
    make_client, tenant, run_worker, assert_error, clock, key
):
    # Given a server with ITG_VALIDITY_SECONDS=60 and a finished process, readable at first
    api = make_client(validity_seconds=VALIDITY)
    accepted = post(api, tenant.headers, [GOOD])
    run_worker()
    assert get(api, tenant.headers, **{key: accepted[key]}).status_code == 200
    # When just under the validity has passed, Then it is still readable
    clock.advance(JUST_UNDER)
    assert get(api, tenant.headers, **{key: accepted[key]}).status_code == 200
    # When the validity is over, Then it answers 410 (retention is 7 days)
    clock.advance(VALIDITY - JUST_UNDER)
    assert_error(get(api, tenant.headers, **{key: accepted[key]}), 410, "Process expired")


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_unfinished_process_never_expires(make_client, tenant, clock, key):
    # Given a server with ITG_VALIDITY_SECONDS=60 and a queued process
    api = make_client(validity_seconds=VALIDITY)
    accepted = post(api, tenant.headers, [GOOD])
    # When the validity and then the 7 days of retention pass without a worker
    clock.advance(VALIDITY + 8 * 86_400)
    response = get(api, tenant.headers, **{key: accepted[key]})
    # Then it is still readable, queued
    assert response.status_code == 200
    assert response.json()["status"] == "queued"


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_process_is_gone_after_validity_plus_retention(
    make_client, tenant, run_worker, assert_error, clock, key
):
    # Given ITG_VALIDITY_SECONDS=60, ITG_RETENTION_DAYS=0 and a finished process
    api = make_client(validity_seconds=VALIDITY, retention_days=0)
    accepted = post(api, tenant.headers, [GOOD])
    run_worker()
    clock.advance(JUST_UNDER)
    assert get(api, tenant.headers, **{key: accepted[key]}).status_code == 200
    # When the validity is over
    clock.advance(VALIDITY - JUST_UNDER)
    # Then it is not found (purged at expiry), not expired
    assert_error(get(api, tenant.headers, **{key: accepted[key]}), 404, "Process not found")


def test_unique_expires_after_its_last_process_finished(
    make_client, tenant, run_worker, assert_error, clock
):
    # Given ITG_VALIDITY_SECONDS=60 and a window whose requests finished 48 s apart
    api = make_client(validity_seconds=VALIDITY)
    first = post(api, tenant.headers, [GOOD])
    run_worker()
    clock.advance(48)
    second = post(api, tenant.headers, [GOOD])
    run_worker()
    assert first["unique"] == second["unique"]
    # When 24 s later the first has expired but the window's last finish has not
    clock.advance(24)
    first_read = get(api, tenant.headers, subunique=first["subunique"])
    window_read = get(api, tenant.headers, unique=first["unique"])
    # Then the first process is gone (410) while the unique is still readable
    assert first_read.status_code == 410
    assert window_read.status_code == 200
    assert window_read.json()["status"] == "done"
    # When the validity has passed since the window's last finish too (36 s more)
    clock.advance(36)
    # Then the unique answers 410 as well
    assert_error(get(api, tenant.headers, unique=first["unique"]), 410, "Process expired")
