"""Helpers for the upsert routes' tests (subsidiaries, users, paymentDate): drive the API
in-process, read the stored rows back, count the queries a request runs.

A plain module imported by test_subsidiaries.py, test_users.py and test_payment_dates.py; it
depends only on the fixtures of tests/conftest.py (`client`, `tenant`, `db`, `run_worker`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, event, select

from itg.storage.database import Database
from tests.tenants import Tenant, make_tenant

FINAL = ("done", "warning", "error")


Company = Tenant  # what the helpers need of a company: code, id, headers


def second_company(db: Database, code: str = "b000202") -> Tenant:
    return make_tenant(db, code)


def entry(index: int, identifier: str, *messages: str) -> dict[str, Any]:
    """An expected error entry; messages sorted because their order carries no meaning."""
    return {"identifier": identifier, "index": index, "message": sorted(messages)}


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's error entries with each message list sorted (see `entry`)."""
    return [{**error, "message": sorted(error["message"])} for error in report["data"]["errors"]]


def employee(matricula: str, **fields: Any) -> dict[str, Any]:
    """A people record that inserts a valid employee."""
    return {
        "matricula": matricula,
        "nome": "Ana",
        "sem_pis": True,
        "dataAdmissao": "01/01/2020",
        **fields,
    }


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


# -- the API and the tables ------------------------------------------------------------------


@dataclass
class Driver:
    """The API of one company, driven in-process, plus direct reads of its tables."""

    client: TestClient
    company: Company
    db: Database
    run_worker: Callable[[], int]

    def send(self, route: str, records: list[Any], company: Company | None = None) -> str:
        response = self.client.post(
            f"/{route}", json=records, headers=(company or self.company).headers
        )
        assert response.status_code == 200, response.text
        return response.json()["subunique"]

    def apply(self, route: str, records: list[Any], company: Company | None = None) -> dict:
        """POST the records, drain the queue with a real worker, return the final report."""
        subunique = self.send(route, records, company)
        self.run_worker()
        response = self.client.get(
            "/process", params={"subunique": subunique}, headers=(company or self.company).headers
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["status"] in FINAL, report
        assert report["progress"] == {"done": str(len(records)), "total": str(len(records))}
        return report

    def ok(self, route: str, records: list[Any], company: Company | None = None) -> None:
        """Apply records that must all succeed (setup steps and documented examples)."""
        report = self.apply(route, records, company)
        assert (report["status"], report["data"]["errors"]) == ("done", []), report

    def fails(self, route: str, records: list[Any]) -> list[dict[str, Any]]:
        """Apply records that must all fail; their sorted error entries."""
        report = self.apply(route, records)
        assert report["status"] == "error", report
        return errors(report)

    def rows(self, table: Table, company: Company | None = None) -> list[dict[str, Any]]:
        """The company's rows of `table`, without the surrogate id, owner and timestamp."""
        owner = (company or self.company).id
        with self.db.read() as conn:
            found = conn.execute(
                select(table).where(table.c.company_id == owner).order_by(table.c.id)
            ).all()
        hidden = ("id", "company_id", "updated_at")
        return [{k: v for k, v in row._mapping.items() if k not in hidden} for row in found]


@contextmanager
def counting_selects(db: Database) -> Iterator[list[str]]:
    """Collect the SELECT statements run on the database while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def selects_from(statements: list[str], table: str) -> int:
    """How many of the statements read `table` (as `FROM <table>` followed by a clause)."""
    return sum(1 for s in statements if f"FROM {table}\n" in s or f"FROM {table} " in s)
