"""Coercion of JSON values into field types (SPEC 2.1)."""

import pytest

from itg.domain.coerce import (
    CoercionError,
    UnsafeValue,
    all_same_digits,
    digits_only,
    has_control,
    identifier_text,
    to_bool,
    to_text,
    to_text_list,
)
from itg.services.fields import Fields

# U+0000-U+0008, U+000B, U+000C, U+000E-U+001F and U+007F (SPEC 2.1): 30 characters.
FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]


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


# -- hostile values (SPEC 2.1 control characters, SPEC 6 numbers) ---------------------------


def test_the_forbidden_set_is_the_spec_s() -> None:
    assert len(FORBIDDEN) == 30
    assert [c for c in map(chr, range(0x80)) if has_control(c)] == FORBIDDEN


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["{}ab", "a{}b", "ab{}", " ab{} "])
def test_to_text_rejects_a_control_character_anywhere(char: str, where: str) -> None:
    # Also at the edges: str.strip would silently drop U+001C-U+001F, U+000B and U+000C.
    with pytest.raises(UnsafeValue):
        to_text(where.format(char))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\tb\r\nc", "a\tb\r\nc"),  # tab, LF and CR are text
        ("\t a \r\n", "a"),
        ("a\x80\x9fb", "a\x80\x9fb"),  # C1 controls are not in the SPEC's set
        ("a\uffff", "a\uffff"),
        ("\U0010ffff", "\U0010ffff"),
        ("x" * 100_000, "x" * 100_000),  # length is each field's rule
    ],
    ids=repr,
)
def test_to_text_keeps_other_text(value: str, expected: str) -> None:
    assert to_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**53 - 1, "9007199254740991"),
        (-(2**53 - 1), "-9007199254740991"),
        (9007199254740991.0, "9007199254740991.0"),
        (1.5, "1.5"),
        (123, "123"),
        (-0.0, "-0.0"),
    ],
)
def test_numbers_below_2_53_become_their_decimal_text(value: object, expected: str) -> None:
    assert to_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        2**53,
        -(2**53),
        2.0**53,
        2**64 - 1,  # orjson still parses this one as an exact int
        1.2345678901234568e20,  # what orjson makes of 123456789012345678901
        1e300,
        -1e300,
    ],
    ids=repr,
)
def test_numbers_of_2_53_and_more_are_unsafe(value: object) -> None:
    with pytest.raises(UnsafeValue):
        to_text(value)


def test_unsafe_values_are_coercion_errors() -> None:
    assert issubclass(UnsafeValue, CoercionError) is True


@pytest.mark.parametrize("value", ["true\x00", "\x1ftrue", "0\x7f"], ids=repr)
def test_to_bool_rejects_control_characters(value: str) -> None:
    with pytest.raises(UnsafeValue):
        to_bool(value)


@pytest.mark.parametrize(
    "value", [["ok", "a\x00b"], ["ok", "b\x1f"], ["ok", 2**53], ["ok", 1e300]], ids=repr
)
def test_to_text_list_rejects_an_unsafe_item(value: list[object]) -> None:
    with pytest.raises(UnsafeValue):
        to_text_list(value)


def test_to_text_list_keeps_high_code_points_and_tabs() -> None:
    assert to_text_list(["a\tb", "\uffff", "\U0010ffff", 2**53 - 1]) == [
        "a\tb",
        "\uffff",
        "\U0010ffff",
        "9007199254740991",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 11.222.333/0001-81 ", "11.222.333/0001-81"),  # trimmed, not normalised
        ("a\x00b", "a\ufffdb"),  # U+0000 shown as U+FFFD
        ("\x00", "\ufffd"),
        ("a\x01b\x7f", "a\x01b\x7f"),  # other control characters stay
        (" a\x1f ", "a\x1f"),  # trimming keeps them, though str.strip would not
        ("\x0b a", "\x0b a"),
        ("a\tb", "a\tb"),
        ("\uffff\U0010ffff", "\uffff\U0010ffff"),
        (123, "123"),
        (1.5, "1.5"),
        (2**53 - 1, "9007199254740991"),
        (2**53, ""),  # its digits cannot be trusted: the index names the record
        (1.2345678901234568e20, ""),
        (1e300, ""),
        (None, ""),
        (True, ""),
        ([], ""),
        ({"a": 1}, ""),
        ("", ""),
    ],
    ids=repr,
)
def test_identifier_text(value: object, expected: str) -> None:
    assert identifier_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1\x00", ["Campo inválido: cpf"]),  # SPEC 2.1: control character
        (2**53, ["Campo inválido: cpf"]),  # SPEC 6: number of 2^53 or more
        (True, ["CPF Inválido"]),  # a wrong type keeps the field's own message
        ("1" * 65, ["CPF Inválido"]),  # and so does a wrong length
    ],
    ids=repr,
)
def test_fields_report_unsafe_values_as_campo_invalido(value: object, expected: list[str]) -> None:
    fields = Fields({"cpf": value})
    assert fields.text("cpf", 64, "CPF Inválido") is None
    assert fields.messages == expected
