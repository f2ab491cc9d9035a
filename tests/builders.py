"""Records and documents for the tests, and error entries as the monitor shows them.

Documents (CPF, PIS, CNPJ) are computed here, independently of itg.domain, so a test of the
check digits does not trust the code it tests. One builder per route gives a valid record
that `fields` extend or override.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

Record = dict[str, Any]

ADMISSION = "01/02/2024"
BAD_ADMISSION = "31/02/2024"  # fails with exactly ["Data de admissão inválida"]
ANA, BIA = "00000001", "00000002"  # the employees absences and advances refer to


# -- documents ------------------------------------------------------------------------------


def _mod11(digits: str, weights: Sequence[int]) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def cpf(seed: int) -> str:
    """A valid CPF (11 digits, check digits right), distinct for each seed < 800,000,000."""
    base = f"{100_000_000 + seed:09d}"
    first = _mod11(base, range(10, 1, -1))
    return base + first + _mod11(base + first, range(11, 1, -1))


def pis(seed: int) -> str:
    """A valid PIS/PASEP (11 digits, check digit right), distinct for each seed."""
    base = f"{1_000_000_000 + seed:010d}"
    weights = (3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
    check = 11 - sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
    return base + str(0 if check >= 10 else check)


def cnpj(seed: int) -> str:
    """A valid CNPJ (14 digits, headquarters branch 0001) distinct for each seed < 10**7."""
    base = f"{10_000_000 + seed:08d}0001"
    first = _mod11(base, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))
    return base + first + _mod11(base + first, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))


# -- records, one builder per route ---------------------------------------------------------


def person(matricula: Any, **fields: Any) -> Record:
    """A people record inserting a valid person (no PIS needed)."""
    return {
        "matricula": matricula,
        "nome": f"Pessoa {matricula}",
        "sem_pis": True,
        "dataAdmissao": ADMISSION,
        **fields,
    }


def invalid_person(matricula: str) -> Record:
    """A person that fails with exactly `Data de admissão inválida`."""
    return person(matricula, dataAdmissao=BAD_ADMISSION)


def many_people(total: int, invalid: Sequence[int] = ()) -> list[Record]:
    """`total` people M000, M001, …; those at `invalid` positions fail (`invalid_person`)."""
    return [
        invalid_person(f"M{i:03d}") if i in invalid else person(f"M{i:03d}") for i in range(total)
    ]


def employee(matricula: str, **fields: Any) -> Record:
    """A person admitted long ago (01/01/2020), that absences and advances refer to."""
    return {
        "matricula": matricula,
        "nome": "Ana",
        "sem_pis": True,
        "dataAdmissao": "01/01/2020",
        **fields,
    }


def _present(record: Record) -> Record:
    """The record without the fields given as None (so a builder can leave one out)."""
    return {k: v for k, v in record.items() if v is not None}


def absence(
    code: Any,
    inicio: Any = "2024-01-10",
    fim: Any = "2024-01-12",
    *,
    operation: Any = "INS",
    matricula: Any = ANA,
    motivo: Any = "ATM",
    **extra: Any,
) -> Record:
    """An absences record (SPEC 2.4); a field given as None is left out."""
    return _present(
        {
            "cod_interno": code,
            "operation": operation,
            "matricula": matricula,
            "motivo": motivo,
            "inicio": inicio,
            "fim": fim,
            **extra,
        }
    )


def advance(
    code: Any,
    valor: Any = "150,50",
    data: Any = "2024-03-15",
    *,
    operation: Any = "INS",
    matricula: Any = ANA,
    **extra: Any,
) -> Record:
    """An anticipate record (SPEC 2.8); a field given as None is left out."""
    return _present(
        {
            "cod_interno": code,
            "operation": operation,
            "matricula": matricula,
            "data": data,
            "valor": valor,
            **extra,
        }
    )


def payment(ano: Any, mes: Any, when: str | None = "2024-04-05", **fields: Any) -> Record:
    """A paymentDate record (SPEC 2.8); `when=None` leaves dataPagamento out."""
    record = {"ano": ano, "mes": mes, **fields}
    if when is not None:
        record["dataPagamento"] = when
    return record


def branch(number: Any, **fields: Any) -> Record:
    """A subsidiaries record (SPEC 2.6) inserting a branch under `number`."""
    return {"numeroCadastro": number, "razaoSocial": f"Filial {number}", **fields}


def user(email: Any, **fields: Any) -> Record:
    """A users record (SPEC 2.7) inserting a platform user with a default profile."""
    return {"email": email, "nome": "Pessoa", "perfil": "Apontador", **fields}


# -- expected values ------------------------------------------------------------------------


def at(text: str) -> datetime:
    """A stored timestamp, written as ISO 8601 (`2024-01-10T08:00`)."""
    return datetime.fromisoformat(text)


def entry(index: int, identifier: str, *messages: str) -> Record:
    """An expected error entry; messages sorted, since their order carries no meaning."""
    return {"identifier": identifier, "index": index, "message": sorted(messages)}


def errors(report: Record) -> list[Record]:
    """A report's error entries, each message list sorted (compare with `entry`)."""
    return [{**error, "message": sorted(error["message"])} for error in report["data"]["errors"]]
