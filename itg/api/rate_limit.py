"""The per-company request rate of one API process (SPEC 1.10): a token bucket per company.

Each company's bucket holds at most `rate` tokens (the burst is the rate; at least one) and
refills at `rate` tokens per second; a request takes one, or is refused with the seconds
until one is back.
Counted before the body is read, so a refused flood costs no parsing. The buckets live in
this process only: with N API processes a company may get N times the rate (the docs say so).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# Buckets of companies idle this long are full again and can be forgotten.
_FORGET_AFTER_SECONDS = 60.0


class RateLimiter:
    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate_per_second
        self._capacity = max(1.0, rate_per_second)
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # company -> (tokens, at)
        self._lock = threading.Lock()
        self._swept_at = clock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def admit(self, company_id: int) -> int | None:
        """None when the request may go on; else the whole seconds to wait (Retry-After)."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            self._sweep(now)
            tokens, at = self._buckets.get(company_id, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[company_id] = (tokens - 1.0, now)
                return None
            self._buckets[company_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _sweep(self, now: float) -> None:
        """Drop idle buckets now and then, so memory follows the active companies only."""
        if now - self._swept_at < _FORGET_AFTER_SECONDS:
            return
        self._swept_at = now
        idle = [c for c, (_, at) in self._buckets.items() if now - at >= _FORGET_AFTER_SECONDS]
        for company_id in idle:
            del self._buckets[company_id]
