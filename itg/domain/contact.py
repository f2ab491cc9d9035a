"""Checks for e-mail, address and phone fields (SPEC 2.3, 2.6, 2.7).

Digit inputs are already passed through `coerce.digits_only`.
"""

import re

from itg.domain.coerce import all_same_digits

MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
# re's \s on str patterns is exactly str.isspace (Unicode whitespace), checked in C.
_SPACE = re.compile(r"\s")

# The 26 states and the Federal District, lowercase as they are stored.
BRAZILIAN_STATES: frozenset[str] = frozenset(
    "ac al ap am ba ce df es go ma mt ms mg pa pb pr pe pi rj rn rs ro rr sc sp se to".split()
)


def _ascii_digits(text: str) -> bool:
    """str.isdigit alone accepts non-ASCII digits (e.g. Arabic-Indic), which no form uses."""
    return text.isascii() and text.isdigit()


def is_valid_email(text: str) -> bool:
    """A deliberately loose syntax check: enough to catch typos without rejecting real users."""
    # Measured case-folded: that is the stored key, and folding can triple a character (ﬃ);
    # ASCII text folds to the same length.
    length = len(text) if text.isascii() else len(text.casefold())
    if length > MAX_EMAIL_LENGTH or _SPACE.search(text) is not None:
        return False
    local, at, domain = text.partition("@")
    if not at or not local or "@" in domain:
        return False
    return "." in domain and not domain.startswith(".") and not domain.endswith(".")


def is_valid_uf(text: str) -> bool:
    """One of the 27 federative units, in any case (stored lowercase by the caller)."""
    return text.strip().lower() in BRAZILIAN_STATES


def is_valid_cep(digits: str) -> bool:
    """8 digits; 00000-000 and friends are placeholders, not postal codes."""
    return len(digits) == 8 and _ascii_digits(digits) and not all_same_digits(digits)


def is_valid_ddd(digits: str) -> bool:
    """2 digits; the all-equal rule does not apply because 11, 22, … are real area codes."""
    return len(digits) == 2 and _ascii_digits(digits)


def is_valid_phone(digits: str) -> bool:
    """8 digits (landline) or 9 (mobile), without the area code."""
    return len(digits) in (8, 9) and _ascii_digits(digits) and not all_same_digits(digits)
