"""Date and time formats of the records (SPEC 2.3, 2.4, 2.8).

Every parser is anchored and ASCII-only and returns None instead of raising: an invalid
value becomes a field-specific message in the service, never an exception.
"""

import re
from datetime import date, datetime, time, timedelta

# [0-9] rather than \d: \d also matches non-ASCII digits, which date() would then accept.
_BR_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ISO_MINUTE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})")
_COMPETENCE = re.compile(r"([0-9]{4})-([0-9]{2})")

_ONE_DAY = timedelta(days=1)


def _make_date(year: str, month: str, day: str) -> date | None:
    """A real calendar date or None (rejects 31/02, month 13, year 0000)."""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_br_date(text: str) -> date | None:
    """`DD/MM/AAAA`, as people's admission and dismission dates are sent."""
    match = _BR_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year = match.groups()
    try:  # _make_date, inlined: every people record has one or two of these
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_iso_date(text: str) -> date | None:
    """`AAAA-MM-DD`, as payment and advance dates are sent."""
    match = _ISO_DATE.fullmatch(text)
    return None if match is None else _make_date(*match.groups())


def _parse_moment(text: str, *, end: bool) -> datetime | None:
    """Shared parser for `inicio`/`fim`; `end` turns date-only and 24:00 into the next midnight."""
    match = _ISO_DATE.fullmatch(text)
    if match is not None:
        day = _make_date(*match.groups())
        if day is None:
            return None
        return _next_midnight(day) if end else datetime.combine(day, time())
    match = _ISO_MINUTE.fullmatch(text)
    if match is None:
        return None
    year, month, dd, hh, mm = match.groups()
    day = _make_date(year, month, dd)
    hour, minute = int(hh), int(mm)
    if day is None or minute > 59:
        return None
    if end and hour == 24 and minute == 0:
        return _next_midnight(day)
    if hour > 23:
        return None
    return datetime.combine(day, time(hour, minute))


def _next_midnight(day: date) -> datetime | None:
    """The end of `day`; None for 9999-12-31, whose end a datetime cannot represent."""
    try:
        return datetime.combine(day + _ONE_DAY, time())
    except OverflowError:
        return None


def parse_start(text: str) -> datetime | None:
    """`AAAA-MM-DD` (= 00:00) or `AAAA-MM-DDTHH:MM`: the inclusive start of an absence."""
    return _parse_moment(text, end=False)


def parse_end(text: str) -> datetime | None:
    """The exclusive end of an absence: a bare date or `24:00` means the end of that day."""
    return _parse_moment(text, end=True)


def parse_competence(text: str) -> tuple[int, int] | None:
    """`AAAA-MM` -> (year, month), the unit in which periods are locked."""
    match = _COMPETENCE.fullmatch(text)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1 or not 1 <= month <= 12:
        return None
    return year, month


def competence_interval(year: int, month: int) -> tuple[datetime, datetime]:
    """A competence (`AAAA-MM`) as the half-open interval [1st of the month, 1st of the next).

    Half-open, so an absence ending at 00:00 on the 1st does not touch that month. December
    9999 has no following month a datetime can hold, so it runs to `datetime.max`.
    """
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    end = datetime(*following, 1) if following[0] <= 9999 else datetime.max
    return datetime(year, month, 1), end
