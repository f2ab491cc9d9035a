"""The drain of `itg serve` (SPEC 1.7, 3.4): on SIGTERM or SIGINT, /readyz answers 503 for
`ITG_DRAIN_SECONDS` while everything else is still served, then the server stops as before.

A load balancer polls /readyz every few seconds; a process that stopped accepting at once
would refuse the requests it still sends in that time. So the first signal only starts the
drain; when it is over, uvicorn's own exit runs (stop listening, let open requests finish),
then `itg serve` stops its workers (each finishes its chunk and releases its claim). A second
signal during the drain ends it at once, as a second Ctrl-C does in uvicorn.

Imported by `itg serve` only (uvicorn is not loaded for the other commands).
"""

from __future__ import annotations

import logging
import time
from types import FrameType

import uvicorn

from itg.api.readiness import Readiness

log = logging.getLogger("itg.serve")


class DrainingServer(uvicorn.Server):
    """uvicorn's Server whose first exit signal drains for `drain_seconds` first."""

    def __init__(self, config: uvicorn.Config, readiness: Readiness, drain_seconds: float):
        super().__init__(config)
        self.readiness = readiness
        self.drain_seconds = drain_seconds
        self._drain_ends: float | None = None  # time.monotonic() when the drain is over

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Called by uvicorn for SIGINT/SIGTERM while it serves (in the main thread)."""
        if self.drain_seconds > 0 and self._drain_ends is None and not self.should_exit:
            self._drain_ends = time.monotonic() + self.drain_seconds
            self.readiness.drain()
            log.info(
                "signal %s: draining for %g s (/readyz answers 503), then stopping",
                sig,
                self.drain_seconds,
            )
            return
        self.readiness.drain()
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        """uvicorn's 0.1 s tick: ends the drain when its time is over."""
        if self._drain_ends is not None and time.monotonic() >= self._drain_ends:
            self.should_exit = True
        return await super().on_tick(counter)
