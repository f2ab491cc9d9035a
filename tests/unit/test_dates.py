"""Date and time formats (SPEC 2.3, 2.4, 2.8)."""

from datetime import date, datetime

import pytest

from itg.domain.dates import (
    competence_interval,
    parse_br_date,
    parse_competence,
    parse_end,
    parse_iso_date,
    parse_start,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/03/2024", date(2024, 3, 15)),
        ("29/02/2024", date(2024, 2, 29)),
        ("01/01/1990", date(1990, 1, 1)),
        ("31/02/2024", None),
        ("29/02/2023", None),
        ("1/2/2024", None),
        ("01/13/2024", None),
        ("00/01/2024", None),
        ("2024-03-15", None),
        ("15/03/24", None),
        ("15-03-2024", None),
        ("15/03/2024\n", None),
        (" 15/03/2024", None),
        ("15/03/2024 10:00", None),
        ("\u0661\u0665/03/2024", None),  # Arabic-Indic digits
        ("", None),
    ],
)
def test_parse_br_date(text: str, expected: date | None) -> None:
    assert parse_br_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", date(2024, 3, 15)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2023-02-29", None),
        ("2024-3-15", None),
        ("15/03/2024", None),
        ("2024-03-15T00:00", None),
        ("0000-01-01", None),
        ("", None),
    ],
)
def test_parse_iso_date(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", datetime(2024, 3, 15, 0, 0)),
        ("2024-03-15T08:30", datetime(2024, 3, 15, 8, 30)),
        ("2024-03-15T00:00", datetime(2024, 3, 15, 0, 0)),
        ("2024-03-15T23:59", datetime(2024, 3, 15, 23, 59)),
        ("2024-03-15T24:00", None),  # only an end may be 24:00
        ("2024-03-15T08:60", None),
        ("2024-03-15T8:30", None),
        ("2024-03-15T08:30:00", None),  # no seconds
        ("2024-03-15 08:30", None),
        ("2024-02-30", None),
        ("2024-02-30T10:00", None),
        ("", None),
    ],
)
def test_parse_start(text: str, expected: datetime | None) -> None:
    assert parse_start(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", datetime(2024, 3, 16, 0, 0)),  # date-only = end of that day
        ("2024-12-31", datetime(2025, 1, 1, 0, 0)),
        ("2024-02-28", datetime(2024, 2, 29, 0, 0)),
        ("2024-03-15T24:00", datetime(2024, 3, 16, 0, 0)),
        ("2024-03-15T18:45", datetime(2024, 3, 15, 18, 45)),
        ("2024-03-15T00:00", datetime(2024, 3, 15, 0, 0)),
        ("2024-03-15T24:01", None),
        ("2024-03-15T25:00", None),
        ("2024-03-15T12:60", None),
        ("2024-03-15T18:45:00", None),
        ("9999-12-31", None),  # its end is not representable
        ("15/03/2024", None),
        ("", None),
    ],
)
def test_parse_end(text: str, expected: datetime | None) -> None:
    assert parse_end(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01", (2024, 1)),
        ("2024-12", (2024, 12)),
        ("2024-00", None),
        ("2024-13", None),
        ("2024-1", None),
        ("0000-01", None),
        ("2024-01-01", None),
        ("01/2024", None),
        ("", None),
    ],
)
def test_parse_competence(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_competence(text) == expected


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2024, 1, (datetime(2024, 1, 1), datetime(2024, 2, 1))),
        (2024, 12, (datetime(2024, 12, 1), datetime(2025, 1, 1))),
        (2024, 2, (datetime(2024, 2, 1), datetime(2024, 3, 1))),
        (9999, 12, (datetime(9999, 12, 1), datetime.max)),
    ],
)
def test_competence_interval(year: int, month: int, expected: tuple[datetime, datetime]) -> None:
    assert competence_interval(year, month) == expected
