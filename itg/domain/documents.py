"""Check digits of Brazilian documents (CPF, PIS/PASEP, CNPJ).

Inputs are digit strings already passed through `coerce.digits_only`.
"""

from itg.domain.coerce import all_same_digits

_CPF_WEIGHTS_1 = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_CPF_WEIGHTS_2 = (11, 10, 9, 8, 7, 6, 5, 4, 3, 2)
_PIS_WEIGHTS = (3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def _plain_digits(text: str, length: int) -> bool:
    """ASCII only: str.isdigit alone accepts e.g. Arabic-Indic or superscript digits."""
    return len(text) == length and text.isascii() and text.isdigit() and not all_same_digits(text)


def _mod11_digit(digits: str, weights: tuple[int, ...]) -> int:
    """The mod-11 check digit shared by CPF and CNPJ: remainders 0 and 1 give 0."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def is_valid_cpf(digits: str) -> bool:
    """11 digits, not all equal, with both check digits right."""
    if not _plain_digits(digits, 11):
        return False
    first = _mod11_digit(digits[:9], _CPF_WEIGHTS_1)
    second = _mod11_digit(digits[:10], _CPF_WEIGHTS_2)
    return digits[9:] == f"{first}{second}"


def is_valid_pis(digits: str) -> bool:
    """11 digits, not all equal, with the PIS/PASEP/NIT check digit right."""
    if not _plain_digits(digits, 11):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:10], _PIS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check >= 10:
        check = 0
    return int(digits[10]) == check


def is_valid_cnpj(digits: str) -> bool:
    """14 digits, not all equal, with both check digits right."""
    if not _plain_digits(digits, 14):
        return False
    first = _mod11_digit(digits[:12], _CNPJ_WEIGHTS_1)
    second = _mod11_digit(digits[:13], _CNPJ_WEIGHTS_2)
    return digits[12:] == f"{first}{second}"


def is_valid_cnpj_or_cpf(digits: str) -> bool:
    """A subsidiary may be registered under a company (CNPJ) or a person (CPF)."""
    return is_valid_cnpj(digits) or is_valid_cpf(digits)
