"""Faults for itg's workers: `FaultHooks`, the test side of the `WorkerHooks` seam
(itg/worker.py). In-process tests pass them to a `Worker` or `WorkerPool`; real processes get
them through tests/crash/faulty_itg.py, which rebuilds them from `options()`."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itg.api.hooks import IntakeHooks
from itg.services.base import Service
from itg.storage.queue import Claim
from itg.worker import WorkerHooks


@dataclass(frozen=True)
class FaultHooks(WorkerHooks, IntakeHooks):
    """The faults; all off by default."""

    # A chunk holding a record with this identifier raises inside its transaction, as a bug
    # would (every attempt: the request ends after max_attempts).
    fail_identifier: str = ""
    # Each chunk's transaction stays open this long after it was applied, so that a kill or a
    # stop lands inside a chunk.
    chunk_delay_seconds: float = 0.0
    # Writing the internal-error entries after repeated faults fails too, as when the payload
    # holds what storage refuses: the minimal ending of SPEC 3.4 runs.
    fail_error_entries: bool = False
    # The server dies (SIGKILL) right after a write request committed, before its answer.
    kill_after_store: bool = False
    # The worker's process dies (SIGKILL) right after the transaction that gave a request its
    # final status committed (and its webhook events, SPEC 1.12), before any delivery.
    kill_after_finish: bool = False

    def after_chunk_applied(self, service: Service, chunk: Sequence[tuple[int, Any]]) -> None:
        if self.chunk_delay_seconds:
            time.sleep(self.chunk_delay_seconds)
        poison = self.fail_identifier
        if poison and any(
            isinstance(record, dict) and service.identifier(record) == poison for _, record in chunk
        ):
            raise RuntimeError(f"injected fault: record {poison!r}")

    def before_error_entries_commit(self) -> None:
        if self.fail_error_entries:
            raise RuntimeError("injected fault: error entries")

    def after_request_stored(self) -> None:
        if self.kill_after_store:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_request_finished(self, claim: Claim) -> None:
        if self.kill_after_finish:
            os.kill(os.getpid(), signal.SIGKILL)

    def options(self) -> list[str]:
        """The options of tests/crash/faulty_itg.py that rebuild these hooks in another
        process."""
        options = ["--chunk-delay-seconds", str(self.chunk_delay_seconds)]
        if self.fail_identifier:
            options += ["--fail-identifier", self.fail_identifier]
        if self.fail_error_entries:
            options.append("--fail-error-entries")
        if self.kill_after_store:
            options.append("--kill-after-store")
        if self.kill_after_finish:
            options.append("--kill-after-finish")
        return options
