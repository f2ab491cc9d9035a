"""The load generator: N keep-alive HTTP/1.1 connections, each kept busy by one asyncio task.

Each task sends its next request as soon as its previous answer arrived (a closed loop), so N
is the number of requests in flight. Runs stop at `count` requests or after `seconds`,
whichever comes first, which bounds every figure on a slow machine.

Why not httpx: on this 2-core machine an httpx AsyncClient tops out near 1,000 requests/s
while using a whole core (its pool costs ~1 ms of CPU per request, more with 64 connections),
and the bare baseline endpoint needs ~0.1 ms per request: the figure would measure the client.
This client pre-builds the request bytes once and parses only the status line and
Content-Length (every itg and baseline answer carries one): over ten times cheaper.

The client still shares the machine with the server, so it reports its own CPU use: near
100 % of one core means the client, not the server, set the pace, and the printout says so.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

CLIENT_BOUND_CPU = 0.9  # fraction of one core above which the client is the bottleneck
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Run:
    latencies: list[float]  # seconds, one per answer with status 200
    failures: int  # other statuses, broken connections
    elapsed: float  # seconds of the measured phase
    client_cpu: float  # CPU seconds the load generator used / elapsed (1.0 = one full core)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def hammer(
    method: str,
    url: str,
    *,
    connections: int,
    count: int,
    seconds: float,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    warmup: int | None = None,
) -> Run:
    """Send up to `count` requests over `connections` keep-alive connections.

    A warm-up of `warmup` requests (default: one per connection) opens the connections and
    fills the server's caches first; it is not measured.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    warm = connections if warmup is None else warmup
    return asyncio.run(_hammer(host, port, request, connections, count, seconds, warm))


def sequential(
    method: str, url: str, *, count: int, body: bytes = b"", headers: dict[str, str]
) -> Run:
    """One request at a time: the latency a single client sees, without queueing."""
    return hammer(
        method, url, connections=1, count=count, seconds=60, body=body, headers=headers, warmup=2
    )


class _Connection:
    """One keep-alive connection; reopened if the server closes it."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self) -> int:
        """One request/answer exchange; the answer's status code."""
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(self.request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT_S)
            length = _content_length(head)
            await reader.readexactly(length)
            return int(head[9:12])
        except (OSError, asyncio.IncompleteReadError):  # TimeoutError is an OSError
            self.close()
            return 0

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError(f"answer without Content-Length: {head[:200]!r}")


async def _hammer(
    host: str, port: int, request: bytes, connections: int, count: int, seconds: float, warm: int
) -> Run:
    pool = [_Connection(host, port, request) for _ in range(connections)]
    try:
        await _phase(pool, warm, seconds)
        cpu, started = time.process_time(), time.perf_counter()
        latencies, failures = await _phase(pool, count, seconds)
        elapsed = time.perf_counter() - started
        return Run(latencies, failures, elapsed, (time.process_time() - cpu) / elapsed)
    finally:
        for connection in pool:
            connection.close()


async def _phase(pool: list[_Connection], count: int, seconds: float) -> tuple[list[float], int]:
    deadline = time.perf_counter() + seconds
    remaining = count
    latencies: list[float] = []
    failures = 0

    async def drive(connection: _Connection) -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1  # one event loop thread: no lock needed
            sent = time.perf_counter()
            if await connection.send() == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                failures += 1

    await asyncio.gather(*(drive(connection) for connection in pool))
    return latencies, failures


def describe(run: Run) -> str:
    """A one-line account of a run, flagging a saturated client."""
    bound = run.client_cpu >= CLIENT_BOUND_CPU
    note = "  (client-bound: the load generator used a full core)" if bound else ""
    failed = f", {run.failures} FAILED" if run.failures else ""
    return (
        f"{len(run.latencies)} requests in {run.elapsed:.1f}s{failed},"
        f" client CPU {run.client_cpu:.0%}{note}"
    )
