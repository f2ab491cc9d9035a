"""Amounts of salary advances (SPEC 2.8)."""

import re
from decimal import Decimal

# No sign and no thousands separator: "1.234" would be ambiguous between 1234 and 1.234.
_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")
_CENTS = Decimal("0.01")


def parse_amount(text: str) -> Decimal | None:
    """A positive amount with `.` or `,` as decimal separator and at most 2 decimals.

    The result is quantized to cents so "10" and "10,00" store and compare the same.
    """
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    whole, cents = match.groups()
    amount = Decimal(f"{whole}.{cents or '0'}").quantize(_CENTS)
    return amount if amount > 0 else None
