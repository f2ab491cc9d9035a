"""The load generator: N keep-alive HTTP/1.1 connections, each kept busy by one asyncio task.

Each task sends its next request as soon as its previous answer arrived (a closed loop), so N
is the number of requests in flight. Runs stop at `count` requests or after `seconds`,
whichever comes first, which bounds every figure on a slow machine.

Why not httpx: on this 2-core machine an httpx AsyncClient tops out near 1,000 requests/s
while using a whole core (its pool costs ~1 ms of CPU per request, more with 64 connections),
and the bare baseline endpoint needs ~0.1 ms per request: the figure would measure the client.
This client pre-builds the request bytes once and parses only the status line and
Content-Length, or the chunk sizes of a streamed answer: over ten times cheaper.

The client still shares the machine with the server, so it reports its own CPU use: near
100 % of one core means the client, not the server, set the pace, and the printout says so.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence
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
    warmed: int = 0  # answers with status 200 in the unmeasured warm-up
    warm_failures: int = 0

    @property
    def answered(self) -> int:
        """Every 200 answer, warm-up included: what the server did for this run."""
        return self.warmed + len(self.latencies)

    @property
    def all_failures(self) -> int:
        return self.warm_failures + self.failures

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
    targets: Sequence[str] = (),
) -> Run:
    """Send up to `count` requests over `connections` keep-alive connections.

    A warm-up of `warmup` requests (default: one per connection) opens the connections and
    fills the server's caches first; it is not measured. With `targets` (paths with their
    query), the requests go to them in turn, one shared round robin over every connection,
    instead of to `url`'s path.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    paths = list(targets) or [parts.path + (f"?{parts.query}" if parts.query else "")]
    requests = [_request(method, path, host, port, body, headers or {}) for path in paths]
    warm = connections if warmup is None else warmup
    return asyncio.run(_hammer(host, port, requests, connections, count, seconds, warm))


def _request(
    method: str, path: str, host: str, port: int, body: bytes, headers: dict[str, str]
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sequential(
    method: str, url: str, *, count: int, body: bytes = b"", headers: dict[str, str]
) -> Run:
    """One request at a time: the latency a single client sees, without queueing."""
    return hammer(
        method, url, connections=1, count=count, seconds=60, body=body, headers=headers, warmup=2
    )


class _Connection:
    """One keep-alive connection; reopened if the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: bytes) -> int:
        """One request/answer exchange; the answer's status code."""
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT_S)
            length = _content_length(head)
            if length is None:
                await _read_chunked(reader)
            else:
                await reader.readexactly(length)
            return int(head[9:12])
        except (OSError, asyncio.IncompleteReadError):  # TimeoutError is an OSError
            self.close()
            return 0

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _content_length(head: bytes) -> int | None:
    """The Content-Length; None for a chunked answer (a streamed body)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            return int(value)
        if name == b"transfer-encoding" and value.strip().lower() == b"chunked":
            return None
    raise RuntimeError(f"answer without Content-Length or chunks: {head[:200]!r}")


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    """Read a chunked body to its end: sized chunks, a zero-sized one, then the trailers."""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields, if any
            return
        await reader.readexactly(size + 2)  # the chunk and its CRLF


async def _hammer(
    host: str,
    port: int,
    requests: list[bytes],
    connections: int,
    count: int,
    seconds: float,
    warm: int,
) -> Run:
    pool = [_Connection(host, port) for _ in range(connections)]
    turn = itertools.cycle(requests)  # shared: consecutive requests go to different targets
    try:
        warm_latencies, warm_failures = await _phase(pool, turn, warm, seconds)
        cpu, started = time.process_time(), time.perf_counter()
        latencies, failures = await _phase(pool, turn, count, seconds)
        elapsed = time.perf_counter() - started
        client_cpu = (time.process_time() - cpu) / elapsed
        return Run(latencies, failures, elapsed, client_cpu, len(warm_latencies), warm_failures)
    finally:
        for connection in pool:
            connection.close()


async def _phase(
    pool: list[_Connection], turn: Iterator[bytes], count: int, seconds: float
) -> tuple[list[float], int]:
    deadline = time.perf_counter() + seconds
    remaining = count
    latencies: list[float] = []
    failures = 0

    async def drive(connection: _Connection) -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1  # one event loop thread: no lock needed
            sent = time.perf_counter()
            if await connection.send(next(turn)) == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                failures += 1

    await asyncio.gather(*(drive(connection) for connection in pool))
    return latencies, failures


def describe(run: Run) -> str:
    """A one-line account of a run, flagging a saturated client."""
    bound = run.client_cpu >= CLIENT_BOUND_CPU
    note = "  (client-bound: the load generator used a full core)" if bound else ""
    failed = f", {run.all_failures} FAILED (warm-up included)" if run.all_failures else ""
    return (
        f"{len(run.latencies)} requests in {run.elapsed:.1f}s{failed},"
        f" client CPU {run.client_cpu:.0%}{note}"
    )


def failed(label: str, run: Run) -> list[str]:
    """A problem line when any answer of `run` (warm-up included) was not 200."""
    if not run.all_failures:
        return []
    return [f"{label}: {run.all_failures} of {run.answered + run.all_failures} answers not 200"]
