"""itg with faults injected into its workers, for the crash tests (SPEC 3.3–3.4).

    python -m tests.crash.faulty_itg [--fail-identifier ID] [--chunk-delay-seconds S]
                                     [--fail-error-entries] [--kill-after-store]
                                     [--kill-after-finish]
                                     -- <itg command and options>

runs the real `itg serve` or `itg worker` (itg's own CLI, `itg.cli.main.main`) with
`FaultHooks` (tests/faults.py) built from the options before `--` installed in its workers.
itg itself has no setting or environment variable for faults: `WorkerHooks` (itg/worker.py)
is the seam, and this launcher, like an in-process test, is what plugs hooks into it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from itg.cli.main import main as itg_main
from tests.faults import FaultHooks


def parse(argv: Sequence[str]) -> tuple[FaultHooks, list[str]]:
    """(the hooks, itg's own arguments): the launcher's options come before `--`."""
    if "--" not in argv:
        raise SystemExit("usage: python -m tests.crash.faulty_itg [fault options] -- <itg args>")
    split = list(argv).index("--")
    parser = argparse.ArgumentParser(prog="python -m tests.crash.faulty_itg")
    parser.add_argument("--fail-identifier", default="")
    parser.add_argument("--chunk-delay-seconds", type=float, default=0.0)
    parser.add_argument("--fail-error-entries", action="store_true")
    parser.add_argument("--kill-after-store", action="store_true")
    parser.add_argument("--kill-after-finish", action="store_true")
    options = parser.parse_args(argv[:split])
    hooks = FaultHooks(
        fail_identifier=options.fail_identifier,
        chunk_delay_seconds=options.chunk_delay_seconds,
        fail_error_entries=options.fail_error_entries,
        kill_after_store=options.kill_after_store,
        kill_after_finish=options.kill_after_finish,
    )
    return hooks, list(argv[split + 1 :])


if __name__ == "__main__":
    hooks, itg_args = parse(sys.argv[1:])
    itg_main(itg_args, worker_hooks=hooks)
