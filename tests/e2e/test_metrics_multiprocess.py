"""GET /metrics in multiprocess mode (SPEC 1.7, issue 14): one scrape of any itg process of a
host covers every itg process of that host, standalone `itg worker` processes included.

Real processes on one PostgreSQL: `itg serve --workers 0` (the API, which applies nothing)
and two `itg worker` processes, all sharing the test's own metrics directory (ITG_METRICS_DIR,
set by tests/processes.py), so no other test's counters reach these scrapes.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.builders import invalid_person, person
from tests.crash.helpers import ACCEPTED_COST_CENTERS, ACCEPTED_PEOPLE, post
from tests.engines import POSTGRES_ONLY
from tests.processes import Itg, Server, WorkerProcess, free_port

pytestmark = [pytest.mark.e2e, POSTGRES_ONLY]

FINAL_SECONDS = 60.0
# What both scrapes must agree on: every series but the claim durations, which the idle
# workers keep observing between the two scrapes.
COUNTED = (
    "itg_requests_accepted_total",
    "itg_records_applied_total",
    "itg_records_failed_total",
    "itg_processes_canceled_total",
    "itg_faults_total",
    "itg_process_latency_seconds",
    "itg_chunk_duration_seconds",
    "itg_queue_depth",
)


def scrape(base_url: str) -> list[str]:
    response = httpx.get(f"{base_url}/metrics", timeout=10.0)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.text.splitlines()


def samples(lines: list[str], name: str) -> dict[str, float]:
    """The samples of `name` (with its labels, e.g. `{route="people"}`) → value."""
    found = {}
    for line in lines:
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            series, value = line.rsplit(" ", 1)
            found[series[len(name) :]] = float(value)
    return found


def counted(lines: list[str]) -> list[str]:
    return sorted(line for line in lines if line.startswith(COUNTED))


def send(server: Server, requests: list[tuple[str, list[dict[str, object]], str]]) -> None:
    with server.client() as client:
        for route, records, message in requests:
            post(client, route, records, message)


def centers(*codes: str) -> list[dict[str, object]]:
    return [{"codigo": code, "nome": f"Centro {code}"} for code in codes]


def test_the_api_reports_the_records_applied_by_two_worker_processes(itg: Itg):
    # Given an API-only server, worker A running alone and worker B (with its own
    # --metrics-port) started later, all on one PostgreSQL and one metrics directory
    server = itg.serve(workers=0)
    first = itg.worker()
    port = free_port()
    # When A applies the first two requests and B, while A is paused, the other three
    send(
        server,
        [
            ("people", [person("A1"), person("A2"), invalid_person("A3")], ACCEPTED_PEOPLE),
            ("costcenter", centers("C1", "C2"), ACCEPTED_COST_CENTERS),
        ],
    )
    itg.wait_all_final(FINAL_SECONDS)
    first.process.send_signal(signal.SIGSTOP)
    try:
        (second,) = itg.workers(1, args=("--metrics-port", str(port)))
        send(
            server,
            [
                ("people", [person("B1"), invalid_person("B2")], ACCEPTED_PEOPLE),
                ("people", [invalid_person("B3")], ACCEPTED_PEOPLE),
                ("costcenter", centers("C3"), ACCEPTED_COST_CENTERS),
            ],
        )
        rows = itg.wait_all_final(FINAL_SECONDS)
    finally:
        first.process.send_signal(signal.SIGCONT)
    assert_claimed_by(first, rows[:2])
    assert_claimed_by(second, rows[2:])
    api = scrape(server.base_url)

    # Then the API's /metrics reports exactly what the two workers applied and failed
    assert samples(api, "itg_records_applied_total") == {
        **zero_routes(api, "itg_records_applied_total"),
        '{route="people"}': 3.0,
        '{route="costcenter"}': 3.0,
    }
    assert samples(api, "itg_records_failed_total") == {
        **zero_routes(api, "itg_records_failed_total"),
        '{route="people"}': 3.0,
        '{route="costcenter"}': 0.0,
    }
    # ...the very counters of the stored requests, summed over routes
    applied = sum(samples(api, "itg_records_applied_total").values())
    failed = sum(samples(api, "itg_records_failed_total").values())
    assert (applied, failed) == (
        sum(row["done"] - row["failed"] for row in rows),
        sum(row["failed"] for row in rows),
    )
    assert (applied, failed) == (6.0, 3.0)
    # ...with the API's own count of the requests it accepted, and the workers' timings
    assert sum(samples(api, "itg_requests_accepted_total").values()) == 5.0
    assert samples(api, "itg_requests_accepted_total")['{route="people"}'] == 3.0
    assert samples(api, "itg_process_latency_seconds_count") == {"": 5.0}
    chunks = samples(api, "itg_chunk_duration_seconds_count")
    assert (chunks['{route="people"}'], chunks['{route="costcenter"}']) == (3.0, 2.0)
    assert samples(api, "itg_claim_duration_seconds_count")[""] >= 5
    assert sum(samples(api, "itg_faults_total").values()) == 0.0
    assert samples(api, "itg_queue_depth") == {
        '{status="queued"}': 0.0,
        '{status="processing"}': 0.0,
    }

    # And worker B's own /metrics answers the same aggregate
    assert counted(scrape(f"http://127.0.0.1:{port}")) == counted(api)

    # And each process wrote its own files in the test's metrics directory
    files = {path.name for path in metrics_dir(itg).iterdir()}
    for pid in (server.pid, first.pid, second.pid):
        assert f"counter_{pid}.db" in files, files
    for process in (second, first, server):
        process.stop_cleanly()


def test_counters_of_stopped_workers_stay_in_the_aggregate(itg: Itg):
    # Given a worker that applied a request and then stopped
    server = itg.serve(workers=0)
    worker = itg.worker()
    send(server, [("costcenter", centers("C1", "C2"), ACCEPTED_COST_CENTERS)])
    itg.wait_all_final(FINAL_SECONDS)
    worker.stop_cleanly()
    # When the API is scraped afterwards
    lines = scrape(server.base_url)
    # Then what the stopped worker applied is still counted (counters never go back)
    assert samples(lines, "itg_records_applied_total")['{route="costcenter"}'] == 2.0
    server.stop_cleanly()


def test_a_worker_metrics_port_answers_only_metrics_without_the_api(itg: Itg):
    # Given a host running only a worker, with --metrics-port (no itg serve at all)
    port = free_port()
    itg.workers(1, args=("--metrics-port", str(port)))
    # When it is scraped
    lines = scrape(f"http://127.0.0.1:{port}")
    # Then it serves the counters, every known route at zero, and the queue depth
    assert 'itg_records_applied_total{route="people"} 0.0' in lines
    assert 'itg_queue_depth{status="queued"} 0.0' in lines
    assert metrics_dir(itg).is_dir()


def zero_routes(lines: list[str], name: str) -> dict[str, float]:
    """Every route of `name` at 0 (known routes start at 0), for an exact comparison."""
    return dict.fromkeys(samples(lines, name), 0.0)


def assert_claimed_by(worker: WorkerProcess, rows: list[dict[str, object]]) -> None:
    claimed = {match["request"] for match in worker.claims()}
    assert claimed >= {str(row["id"]) for row in rows}, (claimed, worker.log)


def metrics_dir(itg: Itg) -> Path:
    return itg.workdir / "metrics"
