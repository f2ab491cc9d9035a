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


@dataclass(frozen=True)
class Deadlines:
    """The rule for one finished process, the other way round: readable before `expires_at`
    (finished + validity), gone from `gone_at` (that + retention); None when the sum is past
    the calendar. For a finished report read many times (report.FinishedReports): each read
    then costs two comparisons instead of computing the cutoffs anew.

    The same answers as `Cutoffs.of` at every moment: `finished > now - validity` exactly when
    `finished + validity > now`, in whole microseconds either way, and a span past the calendar
    never expires (or never goes) on either side.
    """

    expires_at: datetime | None
    gone_at: datetime | None

    def of(self, now: datetime) -> Visibility:
        if self.expires_at is None or now < self.expires_at:
            return Visibility.VISIBLE
        if self.gone_at is None or now < self.gone_at:
            return Visibility.EXPIRED
        return Visibility.GONE

    def check(self, now: datetime) -> None:
        """Raise as `check_visible` does (410 or 404) unless the process is readable at `now`."""
        _raise_unless_visible(self.of(now))


def deadlines(finished_at: datetime, settings: Settings) -> Deadlines:
    expires_at = _after(finished_at, settings.validity_seconds)
    gone_at = None if expires_at is None else _after(expires_at, settings.retention_seconds)
    return Deadlines(expires_at, gone_at)


def cutoffs(settings: Settings, now: datetime) -> Cutoffs:
    """The cutoffs at `now`: `now - validity`, and that minus the retention."""
    expired_by = _before(now, settings.validity_seconds)
    return Cutoffs(expired_by, _before(expired_by, settings.retention_seconds))


def visibility(finished_at: datetime | None, settings: Settings, now: datetime) -> Visibility:
    """Whether a process finished at `finished_at` (None: unfinished) is readable at `now`."""
    return cutoffs(settings, now).of(finished_at)


def check_visible(finished_at: datetime | None, settings: Settings, now: datetime) -> None:
    """Raise ProcessExpiredError (410) or NotFoundError (404) unless the process is readable."""
    _raise_unless_visible(visibility(finished_at, settings, now))


def _raise_unless_visible(seen: Visibility) -> None:
    if seen is Visibility.GONE:
        raise NotFoundError(PROCESS_NOT_FOUND)
    if seen is Visibility.EXPIRED:
        raise ProcessExpiredError(PROCESS_EXPIRED)


def _before(moment: datetime, seconds: float) -> datetime:
    try:
        return moment - timedelta(seconds=seconds)
    except OverflowError:  # a span of millennia: nothing finished that early
        return datetime.min


def _after(moment: datetime, seconds: float) -> datetime | None:
    try:
        return moment + timedelta(seconds=seconds)
    except OverflowError:  # a span of millennia: never reached
        return None
