"""The figures behind `GET /metrics` (SPEC 1.7), through `prometheus_client`.

Two modes, chosen by the library when it is first imported (its `values.ValueClass`):
- **multiprocess** (`itg serve`, `itg worker`): `use_directory` points the library at a
  directory shared by every itg process of the host (ITG_METRICS_DIR, default per database
  under the temp dir) before anything imports it. Each process writes its counters to its own
  files there, and a scrape of any process merges them all: one scrape per host covers its
  API processes and its standalone workers. Counters of processes that exited stay (counters
  never go back); the directory is meant to be wiped at host boot.
- **single process** (the tests, a library user): each `Metrics` has a registry of its own,
  so many apps in one interpreter do not count into each other.

The queue depth is not a counter of anyone's: it is read from the shared database at scrape
time (a collector given the reading), and left out of the scrape when storage is down.

`prometheus_client` is imported inside the functions: importing it picks the mode, so nothing
may import it before `use_directory` ran (SPEC 6: nothing happens at import time).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from itg.errors import ConfigError
from itg.settings import Settings

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from prometheus_client import Counter, Histogram
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector, CollectorRegistry

log = logging.getLogger("itg.metrics")

# The text exposition format 0.0.4 (what `generate_latest` writes).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client at import
LATENCY_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# A claim is one short query; a chunk one transaction of up to ITG_CHUNK_SIZE records.
CLAIM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CHUNK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
QUEUE_STATUSES = ("queued", "processing")
DELIVERY_OUTCOMES = ("delivered", "retried", "failed")

DepthReader = Callable[[], Mapping[str, int]]


def default_directory(database_url: str) -> Path:
    """`<temp dir>/itg-metrics-<hash of the database URL>`: the processes of one installation
    share it, two installations on one host do not (the URL itself may hold a password)."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"itg-metrics-{digest}"


def use_directory(directory: Path) -> None:
    """Put this process in multiprocess mode over `directory` (created if missing).

    Must run before `prometheus_client` is imported: the library reads the variable then, and
    a process that counted in memory would silently be missing from every scrape.
    """
    directory.mkdir(parents=True, exist_ok=True)
    current = os.environ.get(MULTIPROC_VARIABLE)
    values = sys.modules.get("prometheus_client.values")
    if (values is not None and not values.ValueClass._multiprocess) or current not in (
        None,
        str(directory),
    ):
        raise ConfigError(
            "prometheus_client was set up before the metrics directory; "
            f"cannot use {directory} (set ITG_METRICS_DIR, not {MULTIPROC_VARIABLE})"
        )
    os.environ[MULTIPROC_VARIABLE] = str(directory)


def multiprocess_directory() -> Path | None:
    """The shared directory when the library counts in multiprocess mode, else None."""
    from prometheus_client import values

    if not values.ValueClass._multiprocess:
        return None
    return Path(os.environ[MULTIPROC_VARIABLE])


@dataclass(frozen=True)
class _Instruments:
    """The library's metric objects. In multiprocess mode one set per process: two objects
    of one series would each cache the value and overwrite each other's writes to the file."""

    accepted: Counter
    applied: Counter
    failed: Counter
    canceled: Counter
    faults: Counter
    deliveries: Counter
    latency: Histogram
    claim: Histogram
    chunk: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry | None, buckets: tuple[float, ...]) -> _Instruments:
        from prometheus_client import Counter, Histogram

        def counter(name: str, doc: str, label: str = "route") -> Counter:
            return Counter(name, doc, [label], registry=registry)

        return cls(
            accepted=counter("itg_requests_accepted", "Write requests accepted"),
            applied=counter("itg_records_applied", "Records applied without error"),
            failed=counter("itg_records_failed", "Records that failed with errors"),
            canceled=counter("itg_processes_canceled", "Processes canceled (SPEC 1.9)"),
            faults=counter("itg_faults", "Unexpected errors while applying a request (SPEC 3.4)"),
            deliveries=counter(
                "itg_webhook_deliveries", "Webhook delivery attempts by outcome", "outcome"
            ),
            latency=Histogram(
                "itg_process_latency_seconds",
                "Time from acceptance to final status",
                buckets=buckets,
                registry=registry,
            ),
            claim=Histogram(
                "itg_claim_duration_seconds",
                "Time of one claim query of a worker, whether it found work or not",
                buckets=CLAIM_BUCKETS,
                registry=registry,
            ),
            chunk=Histogram(
                "itg_chunk_duration_seconds",
                "Time of one chunk's transaction, records applied and committed",
                ["route"],
                buckets=CHUNK_BUCKETS,
                registry=registry,
            ),
        )

    def start_at_zero(self, routes: Iterable[str]) -> None:
        """Known series exist from the start, so a rate over their first event is not lost."""
        for route in routes:
            for per_route in (self.accepted, self.applied, self.failed, self.canceled):
                per_route.labels(route)
            self.faults.labels(route)
            self.chunk.labels(route)
        for outcome in DELIVERY_OUTCOMES:
            self.deliveries.labels(outcome)


_shared_lock = threading.Lock()
_shared: _Instruments | None = None


def _shared_instruments(buckets: tuple[float, ...]) -> _Instruments:
    global _shared
    with _shared_lock:
        if _shared is None:
            # No registry: the files are what a scrape reads (MultiProcessCollector).
            _shared = _Instruments.create(None, buckets)
        return _shared


class Metrics:
    """This process's counters: `request_accepted` (API), `chunk_committed`,
    `claim_duration`, `fault`, `process_canceled`, `webhook_delivery` (workers); `render` is
    the scrape, `close` the process's exit."""

    def __init__(
        self, routes: Iterable[str] = (), buckets: tuple[float, ...] = LATENCY_BUCKETS
    ) -> None:
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        self._directory = multiprocess_directory()
        self._counted: Collector
        if self._directory is None:
            registry = CollectorRegistry()
            self._instruments = _Instruments.create(registry, buckets)
            self._counted = registry
        else:
            self._instruments = _shared_instruments(buckets)
            path = str(self._directory)
            # The library leaves MultiProcessCollector and mark_process_dead unannotated.
            self._counted = MultiProcessCollector(None, path=path)  # type: ignore[no-untyped-call]
        self._instruments.start_at_zero(routes)

    @property
    def directory(self) -> Path | None:
        """The shared directory (multiprocess mode), or None."""
        return self._directory

    def request_accepted(self, route: str) -> None:
        """A write request of `route` was committed by this process's API."""
        self._instruments.accepted.labels(route).inc()

    def chunk_committed(
        self,
        route: str,
        applied: int,
        failed: int,
        latency_seconds: float | None = None,
        *,
        chunk_seconds: float | None = None,
    ) -> None:
        """A worker committed a chunk; `latency_seconds` when it gave the request its final
        status (finished_at − created_at), `chunk_seconds` the chunk's transaction time."""
        instruments = self._instruments
        instruments.applied.labels(route).inc(applied)
        instruments.failed.labels(route).inc(failed)
        if latency_seconds is not None:
            instruments.latency.observe(latency_seconds)
        if chunk_seconds is not None:
            instruments.chunk.labels(route).observe(chunk_seconds)

    def claim_duration(self, seconds: float) -> None:
        """A worker's claim query took `seconds` (SPEC 3.2)."""
        self._instruments.claim.observe(seconds)

    def fault(self, route: str) -> None:
        """An attempt at a request of `route` raised an unexpected error (SPEC 3.4)."""
        self._instruments.faults.labels(route).inc()

    def process_canceled(self, route: str) -> None:
        """A process of `route` became `canceled` here: by this API's cancel of a queued one,
        or by a worker at a chunk boundary (SPEC 1.9)."""
        self._instruments.canceled.labels(route).inc()

    def webhook_delivery(self, outcome: str) -> None:
        """A webhook event's attempt ended: `delivered`, `retried` or `failed` (SPEC 1.12)."""
        self._instruments.deliveries.labels(outcome).inc()

    def render(self, queue_depth: Mapping[str, int] | None) -> str:
        """The text exposition format; `queue_depth` None (storage unreachable) omits the
        gauge rather than failing the scrape, so the counters are still collected."""
        from prometheus_client import generate_latest

        return generate_latest(_Scrape(self._counted, lambda: queue_depth)).decode()

    def serve(self, host: str, port: int, queue_depth: DepthReader) -> MetricsServer:
        """A /metrics HTTP server of its own on a thread (`itg worker --metrics-port`): the
        same scrape as the API's, the queue depth read by `queue_depth` at each scrape."""
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry()
        registry.register(_Scrape(self._counted, lambda: depth_or_none(queue_depth)))
        server, thread = start_http_server(port, host, registry)
        return MetricsServer(server, thread)

    def close(self) -> None:
        """This process exits: its live gauges leave the shared directory (its counters stay)."""
        if self._directory is not None:
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(os.getpid(), str(self._directory))  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class MetricsServer:
    """A running `Metrics.serve`; `close` stops it."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def process_metrics(settings: Settings, routes: Iterable[str]) -> Metrics:
    """The metrics of an `itg serve` or `itg worker` process: multiprocess mode over
    ITG_METRICS_DIR, or `default_directory` of its database."""
    configured = settings.metrics_dir
    use_directory(Path(configured) if configured else default_directory(settings.database_url))
    return Metrics(routes)


def depth_or_none(read: DepthReader) -> Mapping[str, int] | None:
    """The queue depth `read` returns, or None (and why, logged) when storage cannot be read:
    the scrape then leaves the gauge out and still serves the counters."""
    try:
        return read()
    except Exception:
        log.warning("metrics: storage unreachable, queue depth left out", exc_info=True)
        return None


class _Scrape:
    """One scrape: the counters (this process's registry, or every process's files) without
    the `_created` series (per process, meaningless once merged), then the queue depth unless
    it is unknown (None: storage unreachable)."""

    def __init__(
        self, counted: Collector, queue_depth: Callable[[], Mapping[str, int] | None]
    ) -> None:
        self._counted = counted
        self._queue_depth = queue_depth

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        for metric in self._counted.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric
        depth = self._queue_depth()
        if depth is None:
            return
        gauge = GaugeMetricFamily(
            "itg_queue_depth", "Requests by status, from the shared database", labels=["status"]
        )
        for status in QUEUE_STATUSES:
            gauge.add_metric([status], depth.get(status, 0))
        yield gauge
