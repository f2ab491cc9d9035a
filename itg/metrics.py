"""The figures behind `GET /metrics` (SPEC 1.7), kept in memory by this process.

Counters and the latency histogram are **per process**: the API of this process counts the
requests it accepted, and the workers running in this process count the records they applied
and observe the latency of the requests they finished. A deployment with several `itg serve`
processes is scraped at each of them and summed by Prometheus. A standalone `itg worker` has
no HTTP server, so what its workers count is not exposed anywhere; only the queue depth,
read from the shared database at scrape time, is the same whichever process is scraped.

No client library: the text exposition format 0.0.4 is a few lines of formatting.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
QUEUE_STATUSES = ("queued", "processing")

_PER_PROCESS = "(this process only; scrape every itg serve, standalone itg worker is not exposed)"


class Metrics:
    """Thread-safe counters keyed by route and one histogram; `render` formats them."""

    def __init__(
        self, routes: Iterable[str] = (), buckets: tuple[float, ...] = LATENCY_BUCKETS
    ) -> None:
        # Known routes start at 0, so a rate over a route's first request is not lost.
        self._lock = threading.Lock()
        self._accepted = dict.fromkeys(routes, 0)
        self._applied = dict.fromkeys(routes, 0)
        self._failed = dict.fromkeys(routes, 0)
        self._canceled = dict.fromkeys(routes, 0)
        self._buckets = buckets
        self._bucket_counts = [0] * (len(buckets) + 1)  # per bucket, not cumulative; last: +Inf
        self._latency_sum = 0.0
        self._latency_count = 0

    def request_accepted(self, route: str) -> None:
        """A write request of `route` was committed by this process's API."""
        with self._lock:
            self._accepted[route] = self._accepted.get(route, 0) + 1

    def chunk_committed(
        self, route: str, applied: int, failed: int, latency_seconds: float | None = None
    ) -> None:
        """A worker committed a chunk; `latency_seconds` when it gave the request its final
        status (finished_at − created_at)."""
        with self._lock:
            self._applied[route] = self._applied.get(route, 0) + applied
            self._failed[route] = self._failed.get(route, 0) + failed
            if latency_seconds is not None:
                self._bucket_counts[bisect_left(self._buckets, latency_seconds)] += 1
                self._latency_sum += latency_seconds
                self._latency_count += 1

    def process_canceled(self, route: str) -> None:
        """A process of `route` became `canceled` here: by this API's cancel of a queued one,
        or by a worker at a chunk boundary (SPEC 1.9)."""
        with self._lock:
            self._canceled[route] = self._canceled.get(route, 0) + 1

    def webhook_delivery(self, outcome: str) -> None:
        """A webhook event's attempt ended: `delivered`, `retried` or `failed` (SPEC 1.12)."""
        # Counted once itg/metrics.py moves to prometheus_client (issue 14).

    def render(self, queue_depth: Mapping[str, int] | None) -> str:
        """The text exposition format; `queue_depth` None (storage unreachable) omits the
        gauge rather than failing the scrape, so the counters are still collected."""
        with self._lock:
            accepted, applied = dict(self._accepted), dict(self._applied)
            failed, counts = dict(self._failed), list(self._bucket_counts)
            canceled = dict(self._canceled)
            latency_sum, latency_count = self._latency_sum, self._latency_count
        lines: list[str] = []
        _counter(lines, "itg_requests_accepted_total", "Write requests accepted", accepted)
        _counter(lines, "itg_processes_canceled_total", "Processes canceled (SPEC 1.9)", canceled)
        _counter(lines, "itg_records_applied_total", "Records applied without error", applied)
        _counter(lines, "itg_records_failed_total", "Records that failed with errors", failed)
        if queue_depth is not None:
            name = "itg_queue_depth"
            lines.append(f"# HELP {name} Requests by status, from the shared database")
            lines.append(f"# TYPE {name} gauge")
            for status in QUEUE_STATUSES:
                lines.append(f'{name}{{status="{status}"}} {queue_depth.get(status, 0)}')
        name = "itg_process_latency_seconds"
        lines.append(f"# HELP {name} Time from acceptance to final status {_PER_PROCESS}")
        lines.append(f"# TYPE {name} histogram")
        cumulative = 0
        for bound, count in zip((*self._buckets, None), counts, strict=True):
            cumulative += count
            le = "+Inf" if bound is None else repr(float(bound))
            lines.append(f'{name}_bucket{{le="{le}"}} {cumulative}')
        lines.append(f"{name}_sum {latency_sum!r}")
        lines.append(f"{name}_count {latency_count}")
        return "\n".join(lines) + "\n"


def _counter(lines: list[str], name: str, help_text: str, values: Mapping[str, int]) -> None:
    lines.append(f"# HELP {name} {help_text} {_PER_PROCESS}")
    lines.append(f"# TYPE {name} counter")
    for route in sorted(values):
        lines.append(f'{name}{{route="{_escape(route)}"}} {values[route]}')


def _escape(label_value: str) -> str:
    return label_value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
