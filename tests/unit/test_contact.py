"""E-mail, UF, CEP, DDD and phone checks (SPEC 2.3, 2.6, 2.7)."""

import pytest

from itg.domain.coerce import digits_only
from itg.domain.contact import (
    BRAZILIAN_STATES,
    is_valid_cep,
    is_valid_ddd,
    is_valid_email,
    is_valid_phone,
    is_valid_uf,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@empresa.com.br", True),
        ("a@b.c", True),
        ("Ana.Silva+rh@Empresa.COM", True),
        ("a" * 240 + "@empresa.com", True),  # 252 chars
        ("a" * 243 + "@empresa.com", False),  # 255 chars
        ("anaempresa.com", False),
        ("ana@@empresa.com", False),
        ("ana@rh@empresa.com", False),
        ("@empresa.com", False),
        ("ana@empresa", False),
        ("ana@.empresa.com", False),
        ("ana@empresa.com.", False),
        ("ana@", False),
        ("ana silva@empresa.com", False),
        ("ana@empresa.com\n", False),
        ("ana\t@empresa.com", False),
        ("", False),
    ],
)
def test_is_valid_email(text: str, expected: bool) -> None:
    assert is_valid_email(text) is expected


def test_brazilian_states_are_the_27_units() -> None:
    assert len(BRAZILIAN_STATES) == 27
    assert {"sp", "rj", "df", "to"} <= BRAZILIAN_STATES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SP", True),
        ("sp", True),
        (" Rj ", True),
        ("df", True),
        ("TO", True),
        ("XX", False),
        ("BR", False),
        ("S", False),
        ("SPA", False),
        ("", False),
    ],
)
def test_is_valid_uf(text: str, expected: bool) -> None:
    assert is_valid_uf(text) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("01310-100", True),
        ("70040.010", True),
        ("01310100", True),
        ("00000-000", False),
        ("11111111", False),
        ("0131010", False),
        ("013101000", False),
        ("0131O-100", False),  # letter O
        ("", False),
    ],
)
def test_is_valid_cep(sent: str, expected: bool) -> None:
    assert is_valid_cep(digits_only(sent)) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("11", True),  # all-equal is a real area code
        ("(21)", True),
        ("85", True),
        ("1", False),
        ("011", False),
        ("1a", False),
        ("", False),
    ],
)
def test_is_valid_ddd(sent: str, expected: bool) -> None:
    assert is_valid_ddd(digits_only(sent)) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("3333-4444", True),
        ("98765-4321", True),
        ("987654321", True),
        ("33334444", True),
        ("1111-1111", False),
        ("99999-9999", False),
        ("333-4444", False),
        ("1198765-4321", False),
        ("9876-543a", False),
        ("", False),
    ],
)
def test_is_valid_phone(sent: str, expected: bool) -> None:
    assert is_valid_phone(digits_only(sent)) is expected
