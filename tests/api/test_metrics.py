"""GET /metrics (SPEC 1.7): Prometheus text, no credentials, per-process counters and the
queue depth of the shared database."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from fastapi import FastAPI
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.metrics import Metrics
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.worker import NO_HOOKS, Worker, WorkerHooks, WorkerPool
from tests.faults import FaultHooks

VALID = {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
BAD_PIS = {"matricula": "2", "nome": "Bia", "pis": "123", "dataAdmissao": "01/02/2024"}
WAIT_SECONDS = 10.0


def metric_lines(client: TestClient) -> list[str]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.text.splitlines()


def wait_for(client: TestClient, line: str) -> list[str]:
    """Scrape until `line` appears (embedded workers run in their own threads), bounded."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        lines = metric_lines(client)
        if line in lines:
            return lines
        assert time.monotonic() < deadline, f"{line!r} not in /metrics after {WAIT_SECONDS} s"
        time.sleep(0.02)


def with_embedded_worker(
    settings: Settings, db: Database, hooks: WorkerHooks = NO_HOOKS
) -> tuple[FastAPI, WorkerPool]:
    """The API and one embedded worker sharing counters and wake-up, as `itg serve` has them."""
    metrics = Metrics(SERVICES)
    pool = WorkerPool(db, settings, 1, metrics, hooks=hooks)
    return create_app(settings, db, metrics=metrics, wakeup=pool.wakeup), pool


def test_metrics_need_no_credentials_and_speak_the_prometheus_text_format(client: TestClient):
    # Given no Authorization header and nothing accepted yet
    # When /metrics is scraped
    response = client.get("/metrics")
    # Then it answers in the text exposition format 0.0.4, every known route at zero
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "www-authenticate" not in response.headers
    lines = response.text.splitlines()
    assert "# TYPE itg_requests_accepted_total counter" in lines
    assert 'itg_requests_accepted_total{route="people"} 0' in lines
    assert 'itg_records_applied_total{route="costcenter"} 0' in lines
    assert "# TYPE itg_queue_depth gauge" in lines
    assert "# TYPE itg_process_latency_seconds histogram" in lines
    assert 'itg_process_latency_seconds_bucket{le="+Inf"} 0' in lines
    assert "itg_process_latency_seconds_count 0" in lines
    assert response.text.endswith("\n")
    helps = [line for line in lines if line.startswith("# HELP itg_re")]
    assert helps and all("this process only" in line for line in helps)


def test_accepted_requests_are_counted_per_route(client: TestClient, tenant):
    # Given two accepted people requests and one refused (empty) request
    for records in ([VALID], [VALID, BAD_PIS]):
        assert client.post("/people", json=records, headers=tenant.headers).status_code == 200
    assert client.post("/people", json=[], headers=tenant.headers).status_code == 400
    # When /metrics is scraped
    lines = metric_lines(client)
    # Then only the two accepted ones count, under their route
    assert 'itg_requests_accepted_total{route="people"} 2' in lines
    assert 'itg_requests_accepted_total{route="costcenter"} 0' in lines


def test_queue_depth_comes_from_the_database(
    client: TestClient, tenant, other_company, db: Database, settings: Settings, run_worker
):
    # Given two companies with one queued request each, one of them claimed by a worker
    for headers in (tenant.headers, other_company.headers):
        assert client.post("/people", json=[VALID], headers=headers).status_code == 200
    claim = queue.claim_next(db, settings.lease_seconds)
    assert claim is not None
    # When /metrics is scraped before and after both are processed
    before = metric_lines(client)
    Worker(db, settings).process(claim, threading.Event())
    assert run_worker() == 1
    after = metric_lines(client)
    # Then the gauges read the stored statuses
    assert 'itg_queue_depth{status="queued"} 1' in before
    assert 'itg_queue_depth{status="processing"} 1' in before
    assert 'itg_queue_depth{status="queued"} 0' in after
    assert 'itg_queue_depth{status="processing"} 0' in after
    # ...while the record counters are this process's: the drain ran another worker
    assert 'itg_records_applied_total{route="people"} 0' in after


def test_embedded_workers_count_records_and_observe_latency(
    settings: Settings, db: Database, tenant
):
    # Given the API with one embedded worker
    app, pool = with_embedded_worker(replace(settings, poll_seconds=0.05), db)
    with pool, TestClient(app, raise_server_exceptions=False) as client:
        # When a request with one valid and one bad record is accepted and processed
        response = client.post("/people", json=[VALID, BAD_PIS], headers=tenant.headers)
        assert response.status_code == 200
        lines = wait_for(client, "itg_process_latency_seconds_count 1")
    # Then its records are counted by outcome and its latency observed once
    assert 'itg_records_applied_total{route="people"} 1' in lines
    assert 'itg_records_failed_total{route="people"} 1' in lines
    assert 'itg_process_latency_seconds_bucket{le="+Inf"} 1' in lines
    assert 'itg_queue_depth{status="queued"} 0' in lines
    assert 'itg_queue_depth{status="processing"} 0' in lines


def test_records_failed_after_repeated_faults_are_counted(settings: Settings, db: Database, tenant):
    # Given an embedded worker that faults on record "2" and gives up after one attempt
    faulty = replace(settings, poll_seconds=0.05, max_attempts=1)
    app, pool = with_embedded_worker(faulty, db, FaultHooks(fail_identifier="2"))
    with pool, TestClient(app, raise_server_exceptions=False) as client:
        # When a request holding that record is processed
        response = client.post("/people", json=[VALID, BAD_PIS], headers=tenant.headers)
        assert response.status_code == 200
        lines = wait_for(client, "itg_process_latency_seconds_count 1")
    # Then the faulty chunk was not counted, and the records failed at the end were
    assert 'itg_records_applied_total{route="people"} 0' in lines
    assert 'itg_records_failed_total{route="people"} 2' in lines


def test_histogram_buckets_are_cumulative_and_inclusive():
    # Given latencies on a bucket bound, between bounds and beyond the last one
    metrics = Metrics(["people"], buckets=(1.0, 5.0))
    for latency in (0.25, 1.0, 3.0, 400.0):
        metrics.chunk_committed("people", 1, 0, latency)
    metrics.chunk_committed("people", 2, 1)  # a chunk that did not finish its request
    # When rendered
    text = metrics.render({"queued": 3})
    # Then each bucket counts the observations at or below its bound
    expected_tail = [
        'itg_records_failed_total{route="people"} 1',
        "# HELP itg_queue_depth Requests by status, from the shared database",
        "# TYPE itg_queue_depth gauge",
        'itg_queue_depth{status="queued"} 3',
        'itg_queue_depth{status="processing"} 0',
        "# HELP itg_process_latency_seconds Time from acceptance to final status "
        "(this process only; scrape every itg serve, standalone itg worker is not exposed)",
        "# TYPE itg_process_latency_seconds histogram",
        'itg_process_latency_seconds_bucket{le="1.0"} 2',
        'itg_process_latency_seconds_bucket{le="5.0"} 3',
        'itg_process_latency_seconds_bucket{le="+Inf"} 4',
        "itg_process_latency_seconds_sum 404.25",
        "itg_process_latency_seconds_count 4",
    ]
    assert text.splitlines()[-len(expected_tail) :] == expected_tail
    assert 'itg_records_applied_total{route="people"} 6' in text.splitlines()


def test_storage_unreachable_leaves_the_gauge_out_but_keeps_the_counters():
    # Given counters and no queue depth (the storage could not be read)
    metrics = Metrics(["people"])
    metrics.request_accepted("people")
    # When rendered
    lines = metrics.render(None).splitlines()
    # Then the scrape still carries the counters
    assert 'itg_requests_accepted_total{route="people"} 1' in lines
    assert not any(line.startswith("itg_queue_depth") for line in lines)
