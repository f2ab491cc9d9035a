"""Coercion of decoded JSON values into the field types of SPEC 2.1.

ERP connectors send numbers where text is expected and strings where booleans are
expected; these functions accept exactly the forms the contract allows and raise
`CoercionError` for the rest, so each service reports `Campo inválido: <campo>` uniformly.

Values of an accepted type that still cannot be kept faithfully raise `UnsafeValue`: text
holding control characters (PostgreSQL cannot store U+0000 at all, SQLite can; refusing them
all here keeps both engines alike) and numbers too large for their digits to be trusted.
"""

import math
import re

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_SEPARATORS = str.maketrans("", "", ".-/ ()")
# C0 controls and DEL, except tab, line feed and carriage return (SPEC 2.1).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# From 2^53 on, a double no longer holds every integer: the digits sent may already be lost
# when the value arrives here (orjson parses integers past 2^64 as floats) (SPEC 6).
_MAX_EXACT = 2**53
_REPLACEMENT = "\ufffd"


class CoercionError(ValueError):
    """The value has a JSON type the field does not accept."""


class UnsafeValue(CoercionError):
    """Text with a control character, or a number of magnitude >= 2^53: always
    `Campo inválido: <campo>`, whatever message the field gives for other faults."""


def has_control(text: str) -> bool:
    """Whether the text holds a control character other than tab, LF and CR (SPEC 2.1)."""
    # Printable text (the usual case) has none: isprintable answers in C without the regex.
    return not text.isprintable() and _CONTROL.search(text) is not None


def to_text(value: object) -> str | None:
    """A string field: strings are trimmed, numbers become their decimal text, null is absent.

    A blank string is returned as "" because whether blank means absent, "clear it" or
    invalid depends on the field.
    """
    if value is None:
        return None
    if isinstance(value, str):
        # Checked before trimming: str.strip treats U+001C-U+001F as whitespace.
        if has_control(value):
            raise UnsafeValue("control character in text")
        return value.strip()
    return number_text(value)


def number_text(value: object) -> str:
    """A JSON number as its decimal text; any other value raises (`to_text` for non-strings)."""
    # bool is a subclass of int, but `true` is not a number in JSON.
    if isinstance(value, bool):
        raise CoercionError("boolean where text was expected")
    if isinstance(value, int | float):
        # NaN/Infinity are not JSON numbers even though Python's decoder accepts them.
        if isinstance(value, float) and not math.isfinite(value):
            raise CoercionError("non-finite number")
        if abs(value) >= _MAX_EXACT:
            raise UnsafeValue("number too large to keep its digits")
        return str(value)
    raise CoercionError(f"{type(value).__name__} where text was expected")


def identifier_text(value: object) -> str:
    """A key as sent, for error entries (SPEC 2.1): text trimmed but not normalised, also when
    the key is invalid; U+0000 shown as U+FFFD (no engine can store it in every column);
    "" when missing, not a string or number, or a number whose digits cannot be trusted."""
    if isinstance(value, str):
        return _trim_keeping_controls(value).replace("\x00", _REPLACEMENT)
    try:
        return number_text(value)
    except CoercionError:
        return ""


def _trim_keeping_controls(text: str) -> str:
    """Trim whitespace but not control characters, so the identifier still shows them."""
    if not has_control(text):
        return text.strip()
    start, end = 0, len(text)
    while start < end and text[start].isspace() and not has_control(text[start]):
        start += 1
    while end > start and text[end - 1].isspace() and not has_control(text[end - 1]):
        end -= 1
    return text[start:end]


def to_bool(value: object) -> bool | None:
    """A boolean field: true/false or the strings "true"/"false"/"1"/"0" in any case.

    A blank string counts as absent, like null, because ERP exports often send "" for
    unset flags.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if has_control(value):
            raise UnsafeValue("control character in text")
        text = value.strip().lower()
        if text == "":
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise CoercionError("not a boolean")


def to_text_list(value: object) -> list[str] | None:
    """An array-of-strings field (e.g. `localizacoes`); numbers are accepted as text.

    Items follow `to_text`, so a control character or a huge number in any item makes the
    whole field invalid.
    """
    if value is None:
        return None
    if not isinstance(value, list):
        raise CoercionError("not an array")
    texts: list[str] = []
    for item in value:
        # Null items are rejected rather than dropped: silently shrinking a list hides bugs.
        text = to_text(item) if item is not None else None
        if text is None:
            raise CoercionError("null inside an array")
        texts.append(text)
    return texts


def digits_only(text: str) -> str:
    """Strip the separators allowed in CPF, PIS, CNPJ, CEP and phone numbers.

    Only the separators go: any other character stays, so the caller's digit check
    rejects it instead of the value being silently "repaired".
    """
    return text.translate(_SEPARATORS)


def all_same_digits(digits: str) -> bool:
    """True for e.g. "00000000000": such numbers pass some check-digit algorithms but are fake."""
    return len(digits) > 0 and len(set(digits)) == 1
