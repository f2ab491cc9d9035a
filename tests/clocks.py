"""A clock the test moves, for the time windows of SPEC 1.5 (validity, the `unique` window):
every itg module's `utcnow` (itg/timeutil.py) reads it instead of the wall clock, so a test
steps over a window with `clock.advance(seconds)` instead of sleeping through it, and a loaded
machine cannot make it flaky.

In-process only (the app under TestClient, `run_worker`); a module takes the fixture with
`clock = clocks.clock`.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest

import itg.api.app  # noqa: F401  (loaded before patching: every module that reads the time)
import itg.worker  # noqa: F401
from itg import timeutil


class Clock:
    """Frozen at the moment it was made until `advance`d: equal readings stay equal."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of every loaded itg module (`from itg.timeutil import utcnow` binds the
    function in each importer, so each one is patched)."""
    real = timeutil.utcnow
    clock = Clock(real())
    patched = [
        module
        for name, module in list(sys.modules.items())
        if (name == "itg" or name.startswith("itg.")) and getattr(module, "utcnow", None) is real
    ]
    for module in patched:
        monkeypatch.setattr(module, "utcnow", clock)
    assert timeutil in patched
    return clock
