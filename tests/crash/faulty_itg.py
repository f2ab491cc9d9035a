"""itg with faults injected into its workers, for the crash tests (SPEC 3.3–3.4).

    python -m tests.crash.faulty_itg [--fail-identifier ID] [--chunk-delay-seconds S]
                                     [--fail-error-entries] -- <itg command and options>

runs the real `itg serve` or `itg worker` (itg's own CLI, `itg.cli.main.main`) with
`FaultHooks` built from the options before `--` installed in its workers. itg itself has no
setting or environment variable for faults: `WorkerHooks` (itg/worker.py) is the seam, and
this launcher, like an in-process test, is what plugs hooks into it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itg.cli.main import main as itg_main
from itg.services.base import Service
from itg.worker import WorkerHooks


@dataclass(frozen=True)
class FaultHooks(WorkerHooks):
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

    def options(self) -> list[str]:
        """This launcher's options that rebuild these hooks in another process."""
        options = ["--chunk-delay-seconds", str(self.chunk_delay_seconds)]
        if self.fail_identifier:
            options += ["--fail-identifier", self.fail_identifier]
        if self.fail_error_entries:
            options.append("--fail-error-entries")
        return options


def parse(argv: Sequence[str]) -> tuple[FaultHooks, list[str]]:
    """(the hooks, itg's own arguments): the launcher's options come before `--`."""
    if "--" not in argv:
        raise SystemExit("usage: python -m tests.crash.faulty_itg [fault options] -- <itg args>")
    split = list(argv).index("--")
    parser = argparse.ArgumentParser(prog="python -m tests.crash.faulty_itg")
    parser.add_argument("--fail-identifier", default="")
    parser.add_argument("--chunk-delay-seconds", type=float, default=0.0)
    parser.add_argument("--fail-error-entries", action="store_true")
    options = parser.parse_args(argv[:split])
    hooks = FaultHooks(
        fail_identifier=options.fail_identifier,
        chunk_delay_seconds=options.chunk_delay_seconds,
        fail_error_entries=options.fail_error_entries,
    )
    return hooks, list(argv[split + 1 :])


if __name__ == "__main__":
    hooks, itg_args = parse(sys.argv[1:])
    itg_main(itg_args, worker_hooks=hooks)
