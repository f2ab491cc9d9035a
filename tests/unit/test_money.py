"""Amounts of salary advances (SPEC 2.8)."""

from decimal import Decimal

import pytest

from itg.domain.money import parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", Decimal("10.00")),
        ("10.5", Decimal("10.50")),
        ("10,50", Decimal("10.50")),
        ("0.01", Decimal("0.01")),
        ("0,1", Decimal("0.10")),
        ("1234567.89", Decimal("1234567.89")),
    ],
)
def test_parse_amount_accepts(text: str, expected: Decimal) -> None:
    amount = parse_amount(text)
    assert amount == expected
    assert str(amount) == str(expected)  # always quantized to cents


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "0,00",
        "-1",
        "+1",
        "1.234,56",
        "1,234.56",
        "1,2,3",
        "1.999",
        "10.",
        ".5",
        "1e2",
        "abc",
        " 10",
        "",
    ],
)
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None
