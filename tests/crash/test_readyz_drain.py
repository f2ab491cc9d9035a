"""The drain of a real `itg serve` (SPEC 1.7, 3.4): after SIGTERM, /readyz answers 503 for
ITG_DRAIN_SECONDS while /healthz and the API are still served; then the process stops
accepting, its worker releases the request it holds, and it exits within a few seconds; no
accepted request is lost. A second SIGTERM during the drain ends it at once."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx
import pytest

from tests.builders import person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.errors import assert_error
from tests.faults import FaultHooks
from tests.processes import EXIT_SECONDS, RELEASED, Itg, Server, wait_until

pytestmark = pytest.mark.e2e

DRAIN_SECONDS = 6.0
TOTAL = 300
CHUNK = 10
# 30 chunks of at least 0.5 s: the request is still being applied when the drain ends.
CHUNK_SECONDS = 0.5
FINISH_SECONDS = 60  # a restarted server's start-up and 300 records, on a loaded machine


def probe(server: Server, path: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", timeout=5.0)


def wait_exit(server: Server, timeout: float) -> int:
    try:
        return server.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.end()
        pytest.fail(f"itg serve did not exit within {timeout} s of SIGTERM:\n{server.log}")


def test_sigterm_drains_readyz_first_then_stops_and_loses_no_request(itg: Itg):
    # Given a server whose worker is in the middle of a long request
    server = itg.serve(
        workers=1,
        drain_seconds=DRAIN_SECONDS,
        chunk_size=CHUNK,
        faults=FaultHooks(chunk_delay_seconds=CHUNK_SECONDS),
    )
    assert probe(server, "/readyz").json() == {"status": "ready"}
    with server.client() as client:
        first = post(client, "people", [person(f"R{i:03d}") for i in range(TOTAL)], ACCEPTED_PEOPLE)
    wait_until(lambda: itg.request(first["subunique"])["done"] >= CHUNK, 30, "a chunk committed")

    # When it gets SIGTERM
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)

    # Then during the drain it is not ready, yet alive, and still accepts requests
    wait_until(lambda: probe(server, "/readyz").status_code == 503, DRAIN_SECONDS, "readyz 503")
    assert_error(probe(server, "/readyz"), 503, "Not ready: draining")
    assert probe(server, "/healthz").json() == {"status": "ok"}
    with server.client() as client:
        late = post(client, "people", [person("LATE")], ACCEPTED_PEOPLE)
    assert server.process.poll() is None, "stopped before the drain was over"

    # And it exits 0 after the drain, within SPEC 3.4's few seconds of its end
    status = wait_exit(server, DRAIN_SECONDS + EXIT_SECONDS)
    took = time.monotonic() - signalled
    assert status == 0, server.log
    assert DRAIN_SECONDS <= took < DRAIN_SECONDS + EXIT_SECONDS, took
    assert "Traceback" not in server.log, server.log
    assert "draining for 6 s" in server.log

    # Its worker released the request it held, at a chunk boundary, progress kept; the request
    # accepted during the drain waits behind it
    row = itg.request(first["subunique"])
    assert (row["status"], row["lease_expires_at"]) == ("queued", None), row
    assert CHUNK <= row["done"] < TOTAL and row["done"] % CHUNK == 0, row
    assert [m["done"] for m in RELEASED.finditer(server.log)] == [str(row["done"])]
    assert itg.request(late["subunique"])["status"] == "queued"

    # When a server starts again, every accepted record is applied, exactly once
    restarted = itg.serve(workers=1)
    itg.wait_all_final(FINISH_SECONDS)
    people = sorted(matricula for _, matricula, _ in itg.people())
    assert people == sorted([f"R{i:03d}" for i in range(TOTAL)] + ["LATE"])
    assert [row["status"] for row in itg.requests()] == ["done", "done"]
    restarted.stop_cleanly()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_second_sigterm_during_the_drain_stops_at_once(itg: Itg):
    # Given a server with a long drain, draining after SIGTERM
    server = itg.serve(workers=1, drain_seconds=600)
    server.process.send_signal(signal.SIGTERM)
    wait_until(lambda: probe(server, "/readyz").status_code == 503, 10, "readyz 503")

    # When a second SIGTERM comes
    # Then it exits 0 within the usual bound, not after the drain
    status, _ = server.stop(signal.SIGTERM, within=EXIT_SECONDS)
    assert status == 0, server.log
    assert "Traceback" not in server.log, server.log


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_no_drain_when_drain_seconds_is_zero(itg: Itg):
    # Given a server with ITG_DRAIN_SECONDS=0
    server = itg.serve(workers=1, drain_seconds=0)
    # When it gets SIGTERM, it stops as before, without a drain
    server.stop_cleanly()
    assert "draining" not in server.log
