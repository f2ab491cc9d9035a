"""Connection guards for `itg serve`: read deadlines and a connection cap (SPEC 6).

uvicorn bounds only idle keep-alive connections; a client that sends half its headers, or
stops mid-body, holds its connection (and a file descriptor) for ever. `GuardedProtocol` is
uvicorn's httptools protocol with two additions:

- **Read deadlines.** A request's headers must be complete within `read_timeout` seconds of
  the connection opening (for a later request on a keep-alive connection: of its first byte),
  and its body within `read_timeout` seconds of the end of its headers. Both are whole-phase
  deadlines, not per-byte ones, so trickling one byte at a time does not extend them. A
  connection that misses one is closed; if it had sent part of a request, it first gets a
  408 with the JSON body of SPEC 1.2 (a connection that never sent a byte is closed
  silently, like an idle keep-alive one). A body that times out looks to the application
  like a client disconnect. Time during which the server is not reading (its buffer is
  full, or it is still answering the previous request) is not held against the client.
- **A connection cap.** A connection that opens while `max_connections` are already open is
  answered 503 (JSON body of SPEC 1.2, `Connection: close`) as soon as its request headers
  arrive, and is closed after a short grace if they do not, so refused connections cannot
  pile up either.

What httptools itself refuses (a malformed request line) keeps uvicorn's plain-text 400.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import orjson
from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from itg.api.responses import error_body

log = logging.getLogger("itg.api.connections")

KEEP_ALIVE_SECONDS = 5  # idle keep-alive connections close after this long (SPEC 6)
REFUSED_GRACE_SECONDS = 1.0  # how long a refused connection may take to send its headers
WARN_EVERY_SECONDS = 60.0  # a flood of refusals logs one warning a minute, not one each


def refusal_body(status: int) -> bytes:
    """The SPEC 1.2 error body of a refusal written below the app, with the standard phrase."""
    message = STATUS_LINE[status].decode("ascii").split(" ", 2)[2].strip()
    return orjson.dumps(error_body(status, message))


SERVICE_UNAVAILABLE = refusal_body(503)
REQUEST_TIMEOUT = refusal_body(408)


async def refuse(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """The application of a connection over the cap: 503, then the connection closes."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(SERVICE_UNAVAILABLE)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": SERVICE_UNAVAILABLE, "more_body": False})


class Phase(Enum):
    HEADERS = "headers"  # waiting for (the rest of) a request's headers
    BODY = "body"  # headers complete, body not yet
    IDLE = "idle"  # request complete: the app answers, then uvicorn's keep-alive timer runs


@dataclass
class Limits:
    """Per-server settings and state shared by every connection of one `itg serve`."""

    read_timeout: float
    max_connections: int
    warned_at: float = -math.inf  # when refusing was last logged (time.monotonic)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with read deadlines and a connection cap."""

    limits: Limits  # set by `guarded_protocol`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase = Phase.HEADERS
        self._begun = False  # whether a byte of the current request has arrived
        self._timeout = self.limits.read_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_phase: Phase | None = None

    # Connection events

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's signature; the event loop hands a stream protocol a stream transport,
        # which is what uvicorn's (narrower) signature assumes.
        super().connection_made(cast(asyncio.Transport, transport))
        limits = self.limits
        if len(self.connections) > limits.max_connections:
            self.app = refuse
            self._timeout = min(self._timeout, REFUSED_GRACE_SECONDS)
            now = time.monotonic()
            if now - limits.warned_at >= WARN_EVERY_SECONDS:
                limits.warned_at = now
                log.warning(
                    "%d connections open (ITG_MAX_CONNECTIONS): answering new ones 503",
                    limits.max_connections,
                )
        self._follow_phase()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_phase()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    # Parser callbacks (httptools calls them from inside data_received)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = Phase.HEADERS
        self._begun = True

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._phase = Phase.BODY

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._phase = Phase.IDLE
        self._begun = False

    # Deadlines

    def _follow_phase(self) -> None:
        """Keep one deadline armed for the phase the connection is in (none when idle)."""
        if not self._owns_transport():
            self._cancel_deadline()
            return
        wanted = None if self._phase is Phase.IDLE else self._phase
        if wanted is not self._deadline_phase:
            self._cancel_deadline()
            if wanted is not None:
                self._arm(wanted)

    def _arm(self, phase: Phase) -> None:
        self._deadline_phase = phase
        self._deadline = self.loop.call_later(self._timeout, self._expire)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._deadline_phase = None

    def _owns_transport(self) -> bool:
        """False once the connection is closing, or a websocket upgrade took it over."""
        return not self.transport.is_closing() and self.transport.get_protocol() is self

    def _server_is_behind(self) -> bool:
        """Whether the wait is ours: reading paused, or still answering a previous request."""
        answering = self.cycle is not None and not self.cycle.response_complete
        return self.flow.read_paused or (self._phase is Phase.HEADERS and answering)

    def _expire(self) -> None:
        phase = self._deadline_phase
        self._deadline = None
        self._deadline_phase = None
        if phase is None or not self._owns_transport():
            return
        if self._server_is_behind():
            self._arm(phase)
            return
        log.debug(
            "%s: no complete request %s within %g s, closing",
            self._peer(),
            phase.value,
            self._timeout,
        )
        if phase is Phase.HEADERS:
            answer = self._begun
        else:
            # The application waits for the rest of the body: it sees a disconnect, and
            # whatever it sends from now on is dropped (uvicorn's own connection_lost does this).
            cycle = self.cycle
            answer = not cycle.response_started and not self.pipeline
            if not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()
        if answer:
            self.transport.write(self._timeout_response())
        self.transport.close()

    def _timeout_response(self) -> bytes:
        lines = [STATUS_LINE[408]]
        for name, value in self.server_state.default_headers:
            lines.append(b"%s: %s\r\n" % (name, value))
        lines.append(b"content-type: application/json\r\n")
        lines.append(b"content-length: %d\r\n" % len(REQUEST_TIMEOUT))
        lines.append(b"connection: close\r\n\r\n")
        return b"".join(lines) + REQUEST_TIMEOUT

    def _peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "client"


def guarded_protocol(read_timeout: float, max_connections: int) -> type[GuardedProtocol]:
    """The protocol class to pass as `http=` to uvicorn.Config, bound to these limits."""
    limits = Limits(read_timeout=read_timeout, max_connections=max_connections)
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits})
