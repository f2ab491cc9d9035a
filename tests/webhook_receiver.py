"""A real local HTTP receiver for the webhook tests (SPEC 1.12): a `ThreadingHTTPServer` on
127.0.0.1 and a free port, in a thread of the test, that records every request it gets and
answers each path by a script: a status, after holding the connection open a while or until
the test ends (a slow or dead receiver).

    receiver.script("/a", Answer(500), Answer(500))       # 500 twice, then the default 200
    receiver.script("/dead", then=Answer(hold=FOREVER))    # never answers
    url = receiver.url("/a")

The `webhook_receiver` fixture starts one and closes it at the end of the test (releasing
every held connection first, so no handler thread outlives the test). At the end, what the
webhook tests do through `itg webhook` (tests/processes.py `Itg`) and the signature check,
with the `standardwebhooks` package from the index, never itg's own code.
"""

from __future__ import annotations

import json
import math
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.processes import Itg

FOREVER = math.inf
# How often a held connection looks whether the test ended or the client went away.
_HOLD_TICK_SECONDS = 0.05


@dataclass(frozen=True)
class Answer:
    """What the receiver does with one request: wait `hold` seconds (FOREVER: until the
    receiver closes; the client gets no answer then), then, with `align`, on to the next
    multiple of `align` seconds of the monotonic clock, then answer `status`.

    `align` answers every request held at once in the same instant: the senders of several
    processes then come back and claim their next events together (a race made likely)."""

    status: int = 200
    hold: float = 0.0
    align: float = 0.0

    def held(self, arrived: float) -> float:
        """How long to hold a request that arrived at `arrived` (monotonic)."""
        if not self.align:
            return self.hold
        release = math.ceil((arrived + self.hold) / self.align) * self.align
        return release - arrived


@dataclass
class Received:
    """One request as the receiver got it. `arrived` and the later times are
    `time.monotonic()` of the test's process."""

    arrived: float
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    answer: Answer
    answered: float | None = None  # when the answer was written
    # When it ended without an answer: the client went away, or the receiver closed.
    abandoned: float | None = None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ended(self) -> float | None:
        """When this request stopped being in flight (answered or abandoned), or None."""
        return self.answered if self.answered is not None else self.abandoned


@dataclass
class _Script:
    queue: deque[Answer] = field(default_factory=deque)
    then: Answer = field(default_factory=Answer)

    def next(self) -> Answer:
        return self.queue.popleft() if self.queue else self.then


class Receiver:
    """The receiver; thread-safe. Paths not scripted answer 200 at once."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._received: list[Received] = []
        self._scripts: dict[str, _Script] = {}
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="webhook-receiver",
            daemon=True,
        )

    # -- set-up -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Answer, then: Answer | None = None) -> None:
        """Answer the next requests to `path` with `answers` in order, then `then` (default
        200 at once) to every later one."""
        with self._lock:
            self._scripts[path] = _Script(deque(answers), then or Answer())

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def close(self) -> None:
        """Release held connections, stop serving and wait for the handler threads."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join(10)

    # -- what was received ------------------------------------------------------------------

    def received(self, path: str | None = None) -> list[Received]:
        """Every request so far (to `path`, if given), in order of arrival."""
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def wait_for(
        self,
        count: int,
        path: str | None = None,
        *,
        timeout: float = 60.0,
        what: str = "",
    ) -> list[Received]:
        """Wait until at least `count` requests (to `path`) arrived; fail after `timeout`."""
        self.wait_until(
            lambda: len(self.received(path)) >= count,
            timeout=timeout,
            what=what or f"{count} request(s) to {path or 'the receiver'}",
        )
        return self.received(path)

    def wait_until(
        self, condition: Callable[[], bool], *, timeout: float, what: str
    ) -> list[Received]:
        """Wait (woken by each arrival and answer) until `condition()` holds; returns every
        request so far."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"webhook receiver: not within {timeout} s: {what}; "
                        f"received {[(r.path, r.webhook_id) for r in self._received]}"
                    )
                self._lock.wait(min(left, 0.2))
            return list(self._received)

    # -- the handler's side -----------------------------------------------------------------

    def _arrive(self, handler: _Handler, body: bytes) -> Received:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            answer = self._scripts.setdefault(path, _Script()).next()
            received = Received(
                arrived=time.monotonic(),
                method=handler.command,
                path=path,
                headers={name.lower(): value for name, value in handler.headers.items()},
                body=body,
                answer=answer,
            )
            self._received.append(received)
            self._lock.notify_all()
        return received

    def _mark(self, received: Received, *, answered: bool) -> None:
        with self._lock:
            if answered:
                received.answered = time.monotonic()
            else:
                received.abandoned = time.monotonic()
            self._lock.notify_all()

    def _hold(self, connection: socket.socket, seconds: float) -> bool:
        """Hold the connection `seconds` (or until the receiver closes); False when the
        client went away meanwhile or the receiver closes (nothing is to be answered)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._closing.wait(min(_HOLD_TICK_SECONDS, max(0.0, deadline - time.monotonic()))):
                return False
            if _client_gone(connection):
                return False
        return not self._closing.is_set()


def _client_gone(connection: socket.socket) -> bool:
    """The client closed its side (EOF or reset) while we hold the request."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Server(ThreadingHTTPServer):
    receiver: Receiver
    # Handler threads are joined by server_close(): held ones return once `close` set
    # `_closing`, a read waits at most the handler's timeout.
    daemon_threads = False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a client that never sends its body cannot hold a thread (or close) long

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        received = receiver._arrive(self, body)
        hold = received.answer.held(received.arrived)
        if hold and not receiver._hold(self.connection, hold):
            receiver._mark(received, answered=False)
            self.close_connection = True
            return
        payload = b'{"ok":true}' if 200 <= received.answer.status < 300 else b'{"ok":false}'
        try:
            self.send_response(received.answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up as we answered
            receiver._mark(received, answered=False)
            return
        receiver._mark(received, answered=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test's output is not the place for an access log."""


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    """A running receiver, closed (held connections released) at the end of the test."""
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.close()


# -- `itg webhook` and the signature ----------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A registered endpoint, as `itg webhook add --json` printed it."""

    id: Any
    company: str
    url: str
    secret: str


def add_endpoint(itg: Itg, company: str, url: str) -> Endpoint:
    """`itg webhook add --company CODE URL --json`: exactly the four keys of the interface."""
    created = json.loads(itg.run("webhook", "add", "--company", company, url, "--json"))
    assert sorted(created) == ["company", "id", "secret", "url"], created
    assert (created["company"], created["url"]) == (company, url), created
    return Endpoint(created["id"], company, url, created["secret"])


def deliveries(itg: Itg, company: str, *, failed: bool = False) -> list[dict[str, Any]]:
    """`itg webhook deliveries --company CODE [--failed] --json`."""
    args = ["webhook", "deliveries", "--company", company, "--json"]
    listed = json.loads(itg.run(*args, *(["--failed"] if failed else [])))
    assert isinstance(listed, list), listed
    return listed


def delivery(itg: Itg, company: str, event_id: str) -> dict[str, Any]:
    """The one delivery of `event_id` in `itg webhook deliveries --json`."""
    (found,) = [d for d in deliveries(itg, company) if d["event_id"] == event_id]
    return found


def verified(received: Received, endpoint: Endpoint) -> Any:
    """The body, once `standardwebhooks` verified its signature with the endpoint's secret
    (it raises WebhookVerificationError otherwise)."""
    return Webhook(endpoint.secret).verify(received.body, received.headers)
