"""Check digits of CPF, PIS/PASEP and CNPJ (SPEC 2.3, 2.6)."""

import pytest

from itg.domain.coerce import digits_only
from itg.domain.documents import is_valid_cnpj, is_valid_cnpj_or_cpf, is_valid_cpf, is_valid_pis


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("529.982.247-25", True),
        ("111.444.777-35", True),
        ("123.456.789-09", True),
        ("390.533.447-05", True),  # first check digit: remainder < 2 gives 0
        ("529.982.247-26", False),  # wrong second check digit
        ("529.982.247-15", False),  # wrong first check digit
        ("111.111.111-11", False),  # all digits equal
        ("000.000.000-00", False),
        ("5299822472", False),  # 10 digits
        ("529982247250", False),  # 12 digits
        ("529.982.247-2A", False),
        ("", False),
    ],
)
def test_cpf(sent: str, expected: bool) -> None:
    assert is_valid_cpf(digits_only(sent)) is expected


def test_cpf_rejects_non_ascii_digits() -> None:
    # Given the valid CPF 529.982.247-25 written in Arabic-Indic digits
    arabic = "".join(chr(0x0660 + int(d)) for d in "52998224725")
    # Then it is rejected although str.isdigit() accepts it
    assert arabic.isdigit() is True
    assert is_valid_cpf(arabic) is False


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("120.5648.729-4", True),
        ("170.33259.50-4", True),
        ("123.45678.90-0", True),  # 11 - 0 = 11 -> 0
        ("123.45678.96-0", True),  # 11 - 1 = 10 -> 0
        ("120.5648.729-9", False),  # wrong check digit
        ("123.45678.96-1", False),
        ("111.11111.11-1", False),  # all digits equal
        ("000.00000.00-0", False),
        ("1205648729", False),  # 10 digits
        ("120564872940", False),  # 12 digits
        ("1205648729X", False),
    ],
)
def test_pis(sent: str, expected: bool) -> None:
    assert is_valid_pis(digits_only(sent)) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("11.222.333/0001-81", True),
        ("11.444.777/0001-61", True),
        ("06.990.590/0001-23", True),
        ("33.000.167/0001-01", True),
        ("11.222.333/0001-82", False),  # wrong second check digit
        ("11.222.333/0001-71", False),  # wrong first check digit
        ("11.111.111/1111-11", False),  # all digits equal
        ("00.000.000/0000-00", False),
        ("1122233300018", False),  # 13 digits
        ("112223330001810", False),  # 15 digits
        ("11.222.333/0001-8A", False),
    ],
)
def test_cnpj(sent: str, expected: bool) -> None:
    assert is_valid_cnpj(digits_only(sent)) is expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("11.222.333/0001-81", True),  # a CNPJ
        ("529.982.247-25", True),  # a CPF
        ("11.222.333/0001-82", False),
        ("529.982.247-26", False),
        ("5299822472500", False),  # 13 digits: neither
        ("", False),
    ],
)
def test_cnpj_or_cpf(sent: str, expected: bool) -> None:
    assert is_valid_cnpj_or_cpf(digits_only(sent)) is expected
