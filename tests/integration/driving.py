"""Driving the API in-process for the route tests: post, drain the queue with a real worker,
read the report, read rows back, count the queries. Shared by ops_helpers (absences,
anticipate) and upsert_helpers (subsidiaries, users, paymentDate); depends only on the
fixtures of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, event, select

from itg.storage.database import Database
from tests.tenants import Tenant

FINAL = ("done", "warning", "error")

Company = Tenant  # what the helpers need of a company: code, id, headers


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
    """How many of the statements read `table` as their main table."""
    return sum(
        1
        for s in statements
        if f"FROM {table}\n" in s or f"FROM {table} " in s or s.rstrip().endswith(table)
    )
