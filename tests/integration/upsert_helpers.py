"""Helpers for the upsert routes' tests (subsidiaries, users, paymentDate): drive the API
in-process, read the stored rows back, count the queries a request runs.

A plain module imported by test_subsidiaries.py, test_users.py and test_payment_dates.py; it
depends only on the fixtures of tests/conftest.py (`client`, `tenant`, `db`, `run_worker`).
"""

from __future__ import annotations

from driving import (  # noqa: F401  (re-exported for the test modules)
    FINAL,
    Company,
    Driver,
    counting_selects,
    employee,
    entry,
    errors,
    selects_from,
)

from itg.storage.database import Database
from tests.tenants import Tenant, make_tenant


def second_company(db: Database, code: str = "b000202") -> Tenant:
    return make_tenant(db, code)


# -- valid documents, computed here independently of itg.domain -----------------------------


def _mod11(digits: str, weights: list[int]) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def cnpj(seed: int) -> str:
    """A valid CNPJ (14 digits, headquarters branch 0001) distinct for each seed < 10**7."""
    base = f"{10_000_000 + seed:08d}0001"
    first = _mod11(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return base + first + _mod11(base + first, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])


def cpf(seed: int) -> str:
    """A valid CPF (11 digits) distinct for each seed < 800,000,000."""
    base = f"{100_000_000 + seed:09d}"
    first = _mod11(base, list(range(10, 1, -1)))
    return base + first + _mod11(base + first, list(range(11, 1, -1)))
