"""Coercion of JSON values into field types (SPEC 2.1)."""

import pytest

from itg.domain.coerce import (
    CoercionError,
    all_same_digits,
    digits_only,
    to_bool,
    to_text,
    to_text_list,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("  abc  ", "abc"),
        ("", ""),
        ("   ", ""),
        (123, "123"),
        (0, "0"),
        (-7, "-7"),
        (1.5, "1.5"),
        (123.0, "123.0"),
        ("529.982.247-25", "529.982.247-25"),
    ],
)
def test_to_text(value: object, expected: str | None) -> None:
    assert to_text(value) == expected


@pytest.mark.parametrize("value", [True, False, [], ["a"], {}, {"a": 1}, float("nan")])
def test_to_text_rejects_other_types(value: object) -> None:
    with pytest.raises(CoercionError):
        to_text(value)


def test_coercion_error_is_a_value_error() -> None:
    assert issubclass(CoercionError, ValueError) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("0", False),
        (" 0 ", False),
        ("", None),
        ("  ", None),
    ],
)
def test_to_bool(value: object, expected: bool | None) -> None:
    assert to_bool(value) is expected


@pytest.mark.parametrize("value", [1, 0, 1.0, "yes", "no", "sim", "2", "t", [], {}])
def test_to_bool_rejects_other_values(value: object) -> None:
    with pytest.raises(CoercionError):
        to_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ([], []),
        ([" a ", "b"], ["a", "b"]),
        (["SP", 101, 2.5], ["SP", "101", "2.5"]),
    ],
)
def test_to_text_list(value: object, expected: list[str] | None) -> None:
    assert to_text_list(value) == expected


@pytest.mark.parametrize("value", ["a", 1, True, {"a": "b"}, [True], [None], [["a"]], [{}]])
def test_to_text_list_rejects_other_values(value: object) -> None:
    with pytest.raises(CoercionError):
        to_text_list(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("529.982.247-25", "52998224725"),
        ("11.222.333/0001-81", "11222333000181"),
        ("(11) 9876-5432", "1198765432"),
        ("01310 100", "01310100"),
        ("12a", "12a"),
        ("1_2", "1_2"),
        ("", ""),
    ],
)
def test_digits_only(text: str, expected: str) -> None:
    assert digits_only(text) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("11111111111", True), ("0", True), ("12", False), ("11111111112", False), ("", False)],
)
def test_all_same_digits(digits: str, expected: bool) -> None:
    assert all_same_digits(digits) is expected
