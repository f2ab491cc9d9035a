"""How long a finished process stays readable (SPEC 1.5): the one rule of the read side.

A finished process answers 200 until `finished_at + ITG_VALIDITY_SECONDS`, 410 until
`ITG_RETENTION_DAYS` more have passed, then 404; an unfinished one never expires. Retention
counts from expiry, so `ITG_RETENTION_DAYS=0` purges at expiry (docs/decisions.md).

The rule is held as two finish times for a given moment (`Cutoffs`), because the list and the
purge apply it in SQL (`finished_at <= gone_by`) while the monitor applies it to one row: both
compare against the same cutoffs, so a row the purge has not reached yet already answers 404
and is already left out of the list, whenever the purge runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from itg.errors import NotFoundError, ProcessExpiredError
from itg.settings import Settings

# An unknown process and one past retention answer the same (SPEC 1.6).
PROCESS_NOT_FOUND = "Process not found"
PROCESS_EXPIRED = "Process expired"


class Visibility(Enum):
    VISIBLE = "visible"  # 200
    EXPIRED = "expired"  # past validity: 410, still listed until past retention
    GONE = "gone"  # past retention: 404, listed nowhere, removed by the purge


@dataclass(frozen=True)
class Cutoffs:
    """The rule at one moment: a process finished at or before `expired_by` is past validity,
    one finished at or before `gone_by` past retention (`gone_by <= expired_by`)."""

    expired_by: datetime
    gone_by: datetime

    def of(self, finished_at: datetime | None) -> Visibility:
        if finished_at is None or finished_at > self.expired_by:
            return Visibility.VISIBLE
        if finished_at <= self.gone_by:
            return Visibility.GONE
        return Visibility.EXPIRED


def cutoffs(settings: Settings, now: datetime) -> Cutoffs:
    """The cutoffs at `now`: `now - validity`, and that minus the retention."""
    expired_by = _before(now, settings.validity_seconds)
    return Cutoffs(expired_by, _before(expired_by, settings.retention_seconds))


def visibility(finished_at: datetime | None, settings: Settings, now: datetime) -> Visibility:
    """Whether a process finished at `finished_at` (None: unfinished) is readable at `now`."""
    return cutoffs(settings, now).of(finished_at)


def check_visible(finished_at: datetime | None, settings: Settings, now: datetime) -> None:
    """Raise ProcessExpiredError (410) or NotFoundError (404) unless the process is readable."""
    seen = visibility(finished_at, settings, now)
    if seen is Visibility.GONE:
        raise NotFoundError(PROCESS_NOT_FOUND)
    if seen is Visibility.EXPIRED:
        raise ProcessExpiredError(PROCESS_EXPIRED)


def _before(moment: datetime, seconds: float) -> datetime:
    try:
        return moment - timedelta(seconds=seconds)
    except OverflowError:  # a span of millennia: nothing finished that early
        return datetime.min
