"""GET /metrics (SPEC 1.7): Prometheus text through prometheus_client, no credentials; the
counters of this app's `Metrics` (in-process: single-process mode, one registry per
`Metrics`) and the queue depth of the shared database. The multiprocess mode of real
`itg serve`/`itg worker` processes is tested in tests/e2e/test_metrics_multiprocess.py."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from itg.api.app import create_app
from itg.metrics import Metrics, default_directory
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.worker import NO_HOOKS, Worker, WorkerHooks, WorkerPool
from tests import engines
from tests.faults import FaultHooks

VALID = {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"}
BAD_PIS = {"matricula": "2", "nome": "Bia", "pis": "123", "dataAdmissao": "01/02/2024"}
WAIT_SECONDS = 10.0

settings = engines.settings  # the tests that read storage run on both engines


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
    assert "# HELP itg_requests_accepted_total Write requests accepted" in lines
    assert "# TYPE itg_requests_accepted_total counter" in lines
    assert 'itg_requests_accepted_total{route="people"} 0.0' in lines
    assert 'itg_records_applied_total{route="costcenter"} 0.0' in lines
    assert 'itg_records_failed_total{route="users"} 0.0' in lines
    assert 'itg_processes_canceled_total{route="absences"} 0.0' in lines
    assert 'itg_faults_total{route="paymentDate"} 0.0' in lines
    assert "# TYPE itg_queue_depth gauge" in lines
    assert 'itg_queue_depth{status="queued"} 0.0' in lines
    assert "# TYPE itg_process_latency_seconds histogram" in lines
    assert 'itg_process_latency_seconds_bucket{le="+Inf"} 0.0' in lines
    assert "itg_process_latency_seconds_count 0.0" in lines
    assert "# TYPE itg_claim_duration_seconds histogram" in lines
    assert "itg_claim_duration_seconds_count 0.0" in lines
    assert "# TYPE itg_chunk_duration_seconds histogram" in lines
    assert 'itg_chunk_duration_seconds_count{route="subsidiaries"} 0.0' in lines
    for outcome in ("delivered", "retried", "failed"):
        assert f'itg_webhook_deliveries_total{{outcome="{outcome}"}} 0.0' in lines
    # ...and no per-process `_created` series (meaningless once processes are merged)
    assert not [line for line in lines if "_created" in line]
    assert response.text.endswith("\n")


def test_accepted_requests_are_counted_per_route(client: TestClient, tenant):
    # Given two accepted people requests and one refused (empty) request
    for records in ([VALID], [VALID, BAD_PIS]):
        assert client.post("/people", json=records, headers=tenant.headers).status_code == 200
    assert client.post("/people", json=[], headers=tenant.headers).status_code == 400
    # When /metrics is scraped
    lines = metric_lines(client)
    # Then only the two accepted ones count, under their route
    assert 'itg_requests_accepted_total{route="people"} 2.0' in lines
    assert 'itg_requests_accepted_total{route="costcenter"} 0.0' in lines


def test_each_metrics_counts_apart_in_one_process(settings: Settings, db: Database, tenant):
    # Given two apps in one interpreter, each with its own Metrics (no metrics directory)
    first = TestClient(create_app(settings, db, metrics=Metrics(SERVICES)))
    second = TestClient(create_app(settings, db, metrics=Metrics(SERVICES)))
    # When only the first accepts a request
    assert first.post("/people", json=[VALID], headers=tenant.headers).status_code == 200
    # Then only the first counts it
    assert 'itg_requests_accepted_total{route="people"} 1.0' in metric_lines(first)
    assert 'itg_requests_accepted_total{route="people"} 0.0' in metric_lines(second)


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
    assert 'itg_queue_depth{status="queued"} 1.0' in before
    assert 'itg_queue_depth{status="processing"} 1.0' in before
    assert 'itg_queue_depth{status="queued"} 0.0' in after
    assert 'itg_queue_depth{status="processing"} 0.0' in after
    # ...while the record counters are the app's Metrics: the drain's workers had their own
    assert 'itg_records_applied_total{route="people"} 0.0' in after


def test_embedded_workers_count_records_and_observe_latency(
    settings: Settings, db: Database, tenant
):
    # Given the API with one embedded worker
    app, pool = with_embedded_worker(replace(settings, poll_seconds=0.05), db)
    with pool, TestClient(app, raise_server_exceptions=False) as client:
        # When a request with one valid and one bad record is accepted and processed
        response = client.post("/people", json=[VALID, BAD_PIS], headers=tenant.headers)
        assert response.status_code == 200
        lines = wait_for(client, "itg_process_latency_seconds_count 1.0")
    # Then its records are counted by outcome, its latency observed once, its one chunk timed
    assert 'itg_records_applied_total{route="people"} 1.0' in lines
    assert 'itg_records_failed_total{route="people"} 1.0' in lines
    assert 'itg_process_latency_seconds_bucket{le="+Inf"} 1.0' in lines
    assert 'itg_chunk_duration_seconds_count{route="people"} 1.0' in lines
    assert 'itg_chunk_duration_seconds_count{route="costcenter"} 0.0' in lines
    assert 'itg_faults_total{route="people"} 0.0' in lines
    assert 'itg_queue_depth{status="queued"} 0.0' in lines
    assert 'itg_queue_depth{status="processing"} 0.0' in lines
    # ...and the worker's claim queries were timed (at least the one that found the request)
    (claims,) = [line for line in lines if line.startswith("itg_claim_duration_seconds_count ")]
    assert float(claims.split()[1]) >= 1


def test_records_failed_after_repeated_faults_are_counted(settings: Settings, db: Database, tenant):
    # Given an embedded worker that faults on record "2" and gives up after one attempt
    faulty = replace(settings, poll_seconds=0.05, max_attempts=1)
    app, pool = with_embedded_worker(faulty, db, FaultHooks(fail_identifier="2"))
    with pool, TestClient(app, raise_server_exceptions=False) as client:
        # When a request holding that record is processed
        response = client.post("/people", json=[VALID, BAD_PIS], headers=tenant.headers)
        assert response.status_code == 200
        lines = wait_for(client, "itg_process_latency_seconds_count 1.0")
    # Then the fault was counted, the faulty chunk was not, the records failed at the end were
    assert 'itg_faults_total{route="people"} 1.0' in lines
    assert 'itg_chunk_duration_seconds_count{route="people"} 0.0' in lines
    assert 'itg_records_applied_total{route="people"} 0.0' in lines
    assert 'itg_records_failed_total{route="people"} 2.0' in lines


def test_histogram_buckets_are_cumulative_and_inclusive():
    # Given latencies on a bucket bound, between bounds and beyond the last one
    metrics = Metrics(["people"], buckets=(1.0, 5.0))
    for latency in (0.25, 1.0, 3.0, 400.0):
        metrics.chunk_committed("people", 1, 0, latency)
    metrics.chunk_committed("people", 2, 1)  # a chunk that did not finish its request
    # When rendered
    lines = metrics.render({"queued": 3}).splitlines()
    # Then each bucket counts the observations at or below its bound
    start = lines.index("# HELP itg_process_latency_seconds Time from acceptance to final status")
    assert lines[start : start + 7] == [
        "# HELP itg_process_latency_seconds Time from acceptance to final status",
        "# TYPE itg_process_latency_seconds histogram",
        'itg_process_latency_seconds_bucket{le="1.0"} 2.0',
        'itg_process_latency_seconds_bucket{le="5.0"} 3.0',
        'itg_process_latency_seconds_bucket{le="+Inf"} 4.0',
        "itg_process_latency_seconds_count 4.0",
        "itg_process_latency_seconds_sum 404.25",
    ]
    assert 'itg_records_applied_total{route="people"} 6.0' in lines
    assert 'itg_records_failed_total{route="people"} 1.0' in lines
    assert lines[-4:] == [
        "# HELP itg_queue_depth Requests by status, from the shared database",
        "# TYPE itg_queue_depth gauge",
        'itg_queue_depth{status="queued"} 3.0',
        'itg_queue_depth{status="processing"} 0.0',
    ]


def test_chunk_durations_faults_and_deliveries_are_counted():
    # Given a chunk timed at 0.02 s and 3 s, a fault, a claim, and webhook attempts
    metrics = Metrics(["people", "users"])
    metrics.chunk_committed("people", 1, 0, chunk_seconds=0.02)
    metrics.chunk_committed("people", 1, 0, chunk_seconds=3.0)
    metrics.fault("users")
    metrics.claim_duration(0.002)
    for outcome in ("retried", "retried", "delivered"):
        metrics.webhook_delivery(outcome)
    # When rendered
    lines = metrics.render({}).splitlines()
    # Then each lands under its labels and buckets
    assert 'itg_chunk_duration_seconds_bucket{le="0.025",route="people"} 1.0' in lines
    assert 'itg_chunk_duration_seconds_bucket{le="2.5",route="people"} 1.0' in lines
    assert 'itg_chunk_duration_seconds_bucket{le="5.0",route="people"} 2.0' in lines
    assert 'itg_chunk_duration_seconds_sum{route="people"} 3.02' in lines
    assert 'itg_chunk_duration_seconds_count{route="users"} 0.0' in lines
    assert 'itg_faults_total{route="users"} 1.0' in lines
    assert 'itg_faults_total{route="people"} 0.0' in lines
    assert 'itg_claim_duration_seconds_bucket{le="0.001"} 0.0' in lines
    assert 'itg_claim_duration_seconds_bucket{le="0.0025"} 1.0' in lines
    assert 'itg_webhook_deliveries_total{outcome="retried"} 2.0' in lines
    assert 'itg_webhook_deliveries_total{outcome="delivered"} 1.0' in lines
    assert 'itg_webhook_deliveries_total{outcome="failed"} 0.0' in lines


def test_storage_unreachable_leaves_the_gauge_out_but_keeps_the_counters():
    # Given counters and no queue depth (the storage could not be read)
    metrics = Metrics(["people"])
    metrics.request_accepted("people")
    # When rendered
    lines = metrics.render(None).splitlines()
    # Then the scrape still carries the counters
    assert 'itg_requests_accepted_total{route="people"} 1.0' in lines
    assert not any("itg_queue_depth" in line for line in lines)


def python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter (the library's mode is chosen once per process)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_itg_does_not_choose_the_metrics_mode():
    # Given a fresh interpreter importing the app, the worker and the metrics module
    # When it has imported them, Then prometheus_client is not loaded yet: `itg serve` and
    # `itg worker` can still point it at the metrics directory (SPEC 6: nothing at import)
    done = python(
        "import sys, itg.api.app, itg.worker, itg.metrics, itg.cli.server; "
        "print('prometheus_client' in sys.modules)"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\n", "")


def test_a_metrics_directory_after_the_library_was_loaded_is_refused(tmp_path):
    # Given a process whose prometheus_client was loaded in single-process mode
    # When it is then pointed at a metrics directory
    done = python(
        "import prometheus_client, pathlib\n"
        "from itg.errors import ConfigError\n"
        "from itg.metrics import use_directory\n"
        "try:\n"
        f"    use_directory(pathlib.Path({str(tmp_path / 'm')!r}))\n"
        "except ConfigError as e:\n"
        "    print(e)\n"
    )
    # Then it refuses, instead of counting where no scrape looks
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "prometheus_client was set up before the metrics directory; cannot use "
        f"{tmp_path / 'm'} (set ITG_METRICS_DIR, not PROMETHEUS_MULTIPROC_DIR)\n"
    )


def test_the_metrics_directory_is_a_setting_with_a_default_per_database(tmp_path):
    # Given ITG_METRICS_DIR set, blank, or not set
    given = Settings.from_env({"ITG_METRICS_DIR": str(tmp_path)})
    blank = Settings.from_env({"ITG_METRICS_DIR": " "})
    # Then it is the directory, else none (a default per database, under the temp dir)
    assert (given.metrics_dir, blank.metrics_dir, Settings().metrics_dir) == (
        str(tmp_path),
        None,
        None,
    )
    first = default_directory("postgresql://itg:secret@db/one")
    assert first == default_directory("postgresql://itg:secret@db/one")
    assert first != default_directory("postgresql://itg:secret@db/two")
    assert first.parent == Path(tempfile.gettempdir())
    assert first.name.startswith("itg-metrics-") and "secret" not in first.name


def unreachable() -> dict[str, int]:
    raise OSError("connection refused")


def test_an_unreadable_queue_depth_is_left_out_of_the_api_scrape(
    client: TestClient, tenant, monkeypatch
):
    # Given an accepted request, then storage that cannot be read for the queue depth
    assert client.post("/people", json=[VALID], headers=tenant.headers).status_code == 200
    monkeypatch.setattr("itg.api.probes.queue_depth", lambda db: unreachable())
    # When /metrics is scraped
    lines = metric_lines(client)
    # Then it answers 200 with the counters and without the gauge
    assert 'itg_requests_accepted_total{route="people"} 1.0' in lines
    assert not any("itg_queue_depth" in line for line in lines)


def test_a_metrics_server_of_its_own_serves_the_same_scrape():
    # Given the server of `itg worker --metrics-port` (any free port), storage first readable
    # and then not
    metrics = Metrics(["people"])
    metrics.chunk_committed("people", 2, 1)
    depths = iter([{"queued": 4}])
    server = metrics.serve("127.0.0.1", 0, lambda: next(depths))
    try:
        # When it is scraped twice
        url = f"http://127.0.0.1:{server.port}/metrics"
        first, second = httpx.get(url, timeout=10.0), httpx.get(url, timeout=10.0)
    finally:
        server.close()
    # Then both carry the counters, the first the queue depth, the second (storage down) not
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert first.text == metrics.render({"queued": 4})
    assert second.text == metrics.render(None)
    assert 'itg_records_failed_total{route="people"} 1.0' in second.text.splitlines()
