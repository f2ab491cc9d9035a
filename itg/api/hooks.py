"""The point in the write routes where tests inject a crash; production runs a no-op.

Like `itg.worker.WorkerHooks`: tests/faults.py overrides it and tests/crash/faulty_itg.py
installs it in a real `itg serve` (see `itg.cli.main.main`). itg itself has no setting or
environment variable for faults.
"""

from __future__ import annotations


class IntakeHooks:
    def after_request_stored(self) -> None:
        """A write request's transaction has committed; its answer is not sent yet."""


NO_INTAKE_HOOKS = IntakeHooks()
