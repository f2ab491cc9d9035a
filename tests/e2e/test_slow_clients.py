"""Slow and abusive connections against a real `itg serve` (SPEC 6, itg/api/connections.py).

Raw sockets, since an HTTP client library will not stop halfway through a request. Timing
bounds are generous (a loaded 2-core machine): a lower bound shows that the server waited for
its deadline, an upper bound that it did not wait for ever.
"""

from __future__ import annotations

import base64
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from itg.errors import ConfigError
from itg.settings import Settings
from tests.processes import (
    CONSOLE_SCRIPT,
    Credentials,
    Server,
    environment,
    run_itg,
    start_server,
)

pytestmark = pytest.mark.e2e

READ_TIMEOUT = 1.0  # ITG_READ_TIMEOUT_SECONDS of the server
MAX_CONNECTIONS = 8  # ITG_MAX_CONNECTIONS of the server
KEEP_ALIVE = 5.0
EARLIEST = 0.5  # a deadline of READ_TIMEOUT s may not fire before this
LATEST = 15.0  # ... and must have fired by this
JSON = "application/json"
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: itg\r\n\r\n"
HEALTHY = b'{"status":"ok"}'
REQUEST_TIMEOUT_BODY = (
    b'{"error":{"code":408,"message":"Request Timeout"},"code":408,"message":"Request Timeout"}'
)
UNAVAILABLE_BODY = (
    b'{"error":{"code":503,"message":"Service Unavailable"},'
    b'"code":503,"message":"Service Unavailable"}'
)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `itg serve` for the whole module, with a 1 s read timeout and at most 8 connections.

    Module-scoped (starting a server costs seconds on a loaded machine), so it is spawned here
    with the helpers of tests/processes.py rather than by its function-scoped `serve` fixture.
    """
    directory = tmp_path_factory.mktemp("slow_clients")
    env = environment(
        f"sqlite:///{directory / 'itg.db'}",
        read_timeout_seconds=READ_TIMEOUT,
        max_connections=MAX_CONNECTIONS,
    )
    credentials = Credentials.of(run_itg("init", "--json", cwd=directory, env=env))
    server = start_server(
        CONSOLE_SCRIPT,
        "--workers",
        "1",
        cwd=directory,
        env=env,
        log_path=directory / "serve.log",
        credentials=credentials,
    )
    try:
        yield server
        server.stop_cleanly()  # exits 0 in time, and the whole log has no traceback
    finally:
        server.end()


def connect(server: Server) -> socket.socket:
    url = urlsplit(server.base_url)
    return socket.create_connection((url.hostname, url.port), timeout=LATEST)


def post_head(server: Server, content_length: int) -> bytes:
    """The complete headers of an authenticated `POST /people` announcing that many bytes."""
    credentials = server.credentials
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    return (
        "POST /people HTTP/1.1\r\nHost: itg\r\n"
        f"Authorization: Basic {token}\r\nContent-Type: {JSON}\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length, leaving the connection open."""
    received = b""
    while b"\r\n\r\n" not in received or len(parse(received)[2]) < content_length(received):
        chunk = sock.recv(65536)
        assert chunk, f"closed after {received!r}"
        received += chunk
    return received


def parse(response: bytes) -> tuple[str, dict[str, str], bytes]:
    """(status line, headers with lower-case names, body) of one raw HTTP/1.1 response."""
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return status, headers, body


def content_length(response: bytes) -> int:
    return int(parse(response)[1]["content-length"])


def assert_request_timeout(response: bytes) -> None:
    status, headers, body = parse(response)
    assert status == "HTTP/1.1 408 Request Timeout", response
    assert (headers["content-type"], headers["connection"]) == (JSON, "close")
    assert body == REQUEST_TIMEOUT_BODY


def assert_closed_after_the_deadline(sock: socket.socket) -> bytes:
    received, seconds = read_until_closed(sock)
    assert EARLIEST <= seconds < LATEST, seconds
    return received


def assert_quiet_log(server: Server) -> None:
    time.sleep(0.5)  # what the server would log about the connection, it has logged by now
    log = server.log
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log


def test_a_connection_that_never_sends_a_byte_is_closed_silently(guarded: Server):
    # Given a connection that sends nothing
    with connect(guarded) as sock:
        # Then the server closes it after the read timeout, with no answer
        assert assert_closed_after_the_deadline(sock) == b""
    assert httpx.get(f"{guarded.base_url}/healthz").content == HEALTHY


def test_a_connection_that_stops_mid_headers_gets_408_and_is_closed(guarded: Server):
    # Given a connection that sends half of its request headers, then stops
    with connect(guarded) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: itg\r\n")
        # Then after the read timeout it gets a 408 with the SPEC 1.2 body, and is closed
        assert_request_timeout(assert_closed_after_the_deadline(sock))
    assert httpx.get(f"{guarded.base_url}/healthz").content == HEALTHY


def test_a_connection_that_stops_mid_body_gets_408_and_is_closed(guarded: Server):
    # Given an authenticated POST whose body stops after 1 of its 500 bytes
    with connect(guarded) as sock:
        sock.sendall(post_head(guarded, 500) + b"[")
        # Then after the read timeout it gets a 408 and is closed
        assert_request_timeout(assert_closed_after_the_deadline(sock))
    # And the application saw a client disconnect: nothing logged as an error
    assert_quiet_log(guarded)


def test_trickling_the_body_does_not_extend_the_deadline(guarded: Server):
    # Given an authenticated POST whose body arrives one byte every 0.2 s
    with connect(guarded) as sock:
        sock.sendall(post_head(guarded, 1000))
        started = time.monotonic()
        while time.monotonic() - started < LATEST:
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:  # the server answered (or closed): stop sending
                break
            sock.sendall(b" ")
        # Then the server cut it off after about the read timeout, although bytes kept coming
        seconds = time.monotonic() - started
        assert EARLIEST <= seconds < LATEST, seconds
        assert_request_timeout(read_until_closed(sock)[0])


def test_past_the_connection_cap_new_connections_get_503_until_some_close(guarded: Server):
    # Given MAX_CONNECTIONS idle keep-alive connections (each made one request; they stay
    # open for the 5 s keep-alive limit, which the 1 s read timeout does not shorten)
    idle = [connect(guarded) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in idle:
            sock.sendall(HEALTHZ)
            assert parse(read_response(sock))[::2] == ("HTTP/1.1 200 OK", HEALTHY)
        # When one more connection makes a request
        response = httpx.get(f"{guarded.base_url}/healthz")
        # Then it gets 503 with the SPEC 1.2 body, and the connection is closed
        assert response.status_code == 503
        assert response.headers["content-type"] == JSON
        assert response.headers["connection"] == "close"
        assert response.content == UNAVAILABLE_BODY
        # And the connections within the cap are still served
        idle[0].sendall(HEALTHZ)
        assert parse(read_response(idle[0]))[::2] == ("HTTP/1.1 200 OK", HEALTHY)
    finally:
        for sock in idle:
            sock.close()
    # When those connections have gone, the server serves new ones again
    deadline = time.monotonic() + LATEST
    while (status_code := httpx.get(f"{guarded.base_url}/healthz").status_code) != 200:
        assert time.monotonic() < deadline, status_code
        time.sleep(0.1)


def test_an_idle_keep_alive_connection_is_closed_after_5_seconds(guarded: Server):
    # Given a keep-alive connection that made one request and then stays idle
    with connect(guarded) as sock:
        sock.sendall(HEALTHZ)
        assert parse(read_response(sock))[::2] == ("HTTP/1.1 200 OK", HEALTHY)
        # Then the server closes it after the 5 s keep-alive limit, without a word
        rest, seconds = read_until_closed(sock)
        assert rest == b""
        assert KEEP_ALIVE - 1 <= seconds < KEEP_ALIVE + LATEST, seconds


def test_a_client_leaving_mid_upload_logs_no_traceback(guarded: Server):
    # Given a client that announces 500,000 bytes, sends 1,000 and disconnects
    with connect(guarded) as sock:
        sock.sendall(post_head(guarded, 500_000) + b"[" + b" " * 999)
        time.sleep(0.3)  # the server is reading the body
    # Then the server carries on, and logs no traceback or error (a debug line only)
    assert httpx.get(f"{guarded.base_url}/healthz").content == HEALTHY
    assert_quiet_log(guarded)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ITG_READ_TIMEOUT_SECONDS", "0", "must be a number >= 0.1, got '0'"),
        ("ITG_READ_TIMEOUT_SECONDS", "soon", "must be a number, got 'soon'"),
        ("ITG_MAX_CONNECTIONS", "0", "must be a number >= 1, got '0'"),
        ("ITG_MAX_CONNECTIONS", "1.5", "must be an integer, got '1.5'"),
    ],
)
def test_a_bad_limit_is_refused_naming_the_variable(variable: str, value: str, message: str):
    # In-process: `itg serve` prints this message and exits 1 like every other setting
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: value})
    assert str(refused.value) == f"{variable} {message}"


def test_the_limits_default_to_30_seconds_and_1000_connections():
    settings = Settings.from_env({})
    assert (settings.read_timeout_seconds, settings.max_connections) == (30.0, 1000)
