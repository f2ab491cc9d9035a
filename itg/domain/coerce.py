"""Coercion of decoded JSON values into the field types of SPEC 2.1.

ERP connectors send numbers where text is expected and strings where booleans are
expected; these functions accept exactly the forms the contract allows and raise
`CoercionError` for the rest, so each service reports `Campo inválido: <campo>` uniformly.
"""

import math

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_SEPARATORS = str.maketrans("", "", ".-/ ()")


class CoercionError(ValueError):
    """The value has a JSON type the field does not accept."""


def to_text(value: object) -> str | None:
    """A string field: strings are trimmed, numbers become their decimal text, null is absent.

    A blank string is returned as "" because whether blank means absent, "clear it" or
    invalid depends on the field.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    # bool is a subclass of int, but `true` is not a number in JSON.
    if isinstance(value, bool):
        raise CoercionError("boolean where text was expected")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # NaN/Infinity are not JSON numbers even though Python's decoder accepts them.
        if not math.isfinite(value):
            raise CoercionError("non-finite number")
        return str(value)
    raise CoercionError(f"{type(value).__name__} where text was expected")


def to_bool(value: object) -> bool | None:
    """A boolean field: true/false or the strings "true"/"false"/"1"/"0" in any case.

    A blank string counts as absent, like null, because ERP exports often send "" for
    unset flags.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "":
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise CoercionError("not a boolean")


def to_text_list(value: object) -> list[str] | None:
    """An array-of-strings field (e.g. `localizacoes`); numbers are accepted as text."""
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
