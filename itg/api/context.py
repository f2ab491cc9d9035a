"""What every endpoint needs, built once by the app factory."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from itg.api.auth import Authenticator
from itg.api.hooks import IntakeHooks
from itg.api.rate_limit import RateLimiter
from itg.api.reads import ReadThreads
from itg.metrics import Metrics
from itg.processes.report import FinishedReports
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.intake import GroupCommit


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    db: Database
    auth: Authenticator
    reads: ReadThreads  # where the hot routes read storage (not the default 40 threads)
    wakeup: threading.Event  # set after each accepted request: embedded workers look at once
    finished_reports: FinishedReports
    metrics: Metrics  # this process's counters, shared with its embedded workers
    # Concurrent accepts committed together on SQLite (None: each in its own transaction)
    intake: GroupCommit | None
    # Requests per second per company in this process (SPEC 1.10; off when the rate is 0)
    rate_limiter: RateLimiter
    # Where the crash tests stop a server between a commit and its answer (a no-op here)
    intake_hooks: IntakeHooks
