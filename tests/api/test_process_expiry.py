"""SPEC 1.5–1.6: a finished process is readable for ITG_VALIDITY_SECONDS, then 410 until
purged (ITG_RETENTION_DAYS), then 404; an unfinished one never expires."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

GOOD = {"codigo": "A", "nome": "Alfa"}


def post(api: TestClient, headers: dict[str, str], records: list[dict[str, Any]]) -> dict[str, str]:
    response = api.post("/costcenter", json=records, headers=headers)
    assert response.status_code == 200
    return response.json()


def get(api: TestClient, headers: dict[str, str], **params: str) -> httpx.Response:
    return api.get("/process", params=params, headers=headers)


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_finished_process_expires_after_validity(
    make_client, tenant, run_worker, assert_error, key
):
    # Given a server with ITG_VALIDITY_SECONDS=1 and a finished process, readable at first
    api = make_client(validity_seconds=1)
    accepted = post(api, tenant.headers, [GOOD])
    run_worker()
    assert get(api, tenant.headers, **{key: accepted[key]}).status_code == 200
    # When more than the validity passes
    time.sleep(1.1)
    # Then it answers 410 (retention is 7 days)
    assert_error(get(api, tenant.headers, **{key: accepted[key]}), 410, "Process expired")


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_unfinished_process_never_expires(make_client, tenant, key):
    # Given a server with ITG_VALIDITY_SECONDS=1 and a queued process
    api = make_client(validity_seconds=1)
    accepted = post(api, tenant.headers, [GOOD])
    # When more than the validity passes without a worker
    time.sleep(1.1)
    response = get(api, tenant.headers, **{key: accepted[key]})
    # Then it is still readable, queued
    assert response.status_code == 200
    assert response.json()["status"] == "queued"


@pytest.mark.parametrize("key", ["subunique", "unique"])
def test_process_is_gone_after_validity_plus_retention(
    make_client, tenant, run_worker, assert_error, key
):
    # Given ITG_VALIDITY_SECONDS=1, ITG_RETENTION_DAYS=0 and a finished process
    api = make_client(validity_seconds=1, retention_days=0)
    accepted = post(api, tenant.headers, [GOOD])
    run_worker()
    assert get(api, tenant.headers, **{key: accepted[key]}).status_code == 200
    # When the validity passes
    time.sleep(1.1)
    # Then it is not found (purged at expiry), not expired
    assert_error(get(api, tenant.headers, **{key: accepted[key]}), 404, "Process not found")


def test_unique_expires_after_its_last_process_finished(make_client, tenant, run_worker):
    # Given ITG_VALIDITY_SECONDS=1 and a window whose requests finished 0.8 s apart
    api = make_client(validity_seconds=1)
    first = post(api, tenant.headers, [GOOD])
    run_worker()
    time.sleep(0.8)
    second = post(api, tenant.headers, [GOOD])
    run_worker()
    assert first["unique"] == second["unique"]
    # When 0.4 s later the first has expired but the window's last finish has not
    time.sleep(0.4)
    first_read = get(api, tenant.headers, subunique=first["subunique"])
    window_read = get(api, tenant.headers, unique=first["unique"])
    # Then the first process is gone (410) while the unique is still readable
    assert first_read.status_code == 410
    assert window_read.status_code == 200
    assert window_read.json()["status"] == "done"
