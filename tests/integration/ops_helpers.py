"""Helpers for the operation-driven routes' tests (absences, anticipate): drive the API
in-process, create prerequisites (employees, reasons, locks), read the stored rows back.

A plain module imported by test_absences.py and test_anticipate.py; it depends only on the
fixtures of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from itg.storage.catalogs import CatalogKind, add_entry, lock_period
from itg.storage.database import Database
from itg.storage.schema import absences, advances, people, reasons
from tests.tenants import Tenant, make_tenant

Company = Tenant  # what the helpers need of a company: code, id, headers


def new_company(db: Database, code: str) -> Tenant:
    return make_tenant(db, code)


def entry(index: int, identifier: str, *messages: str) -> dict[str, Any]:
    """An expected error entry; messages sorted because their order carries no meaning."""
    return {"identifier": identifier, "index": index, "message": sorted(messages)}


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's error entries with each message list sorted (see `entry`)."""
    return [{**error, "message": sorted(error["message"])} for error in report["data"]["errors"]]


def employee(matricula: str, **fields: Any) -> dict[str, Any]:
    """A people record that inserts a valid employee."""
    valid = {"matricula": matricula, "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/01/2020"}
    return valid | fields


@dataclass
class Ops:
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
        assert report["status"] in ("done", "warning", "error"), report
        assert report["progress"] == {"done": str(len(records)), "total": str(len(records))}
        return report

    def ok(self, route: str, records: list[Any], company: Company | None = None) -> None:
        """Apply records that must all succeed (setup steps)."""
        report = self.apply(route, records, company)
        assert (report["status"], report["data"]["errors"]) == ("done", []), report

    def employees(self, *matriculas: str, company: Company | None = None) -> None:
        self.ok("people", [employee(m) for m in matriculas], company)

    def reason(self, code: str, description: str, company: Company | None = None) -> None:
        add_entry(self.db, CatalogKind.REASON, (company or self.company).code, code, description)

    def lock(self, competence: str) -> None:
        lock_period(self.db, self.company.code, competence)

    def absences(self) -> dict[str, dict[str, Any]]:
        """The company's absences by cod_interno: matrícula, reason code, inicio and fim."""
        query = (
            select(
                absences.c.cod_interno,
                people.c.matricula,
                reasons.c.code.label("motivo"),
                absences.c.inicio,
                absences.c.fim,
            )
            .join(people, people.c.id == absences.c.person_id)
            .join(reasons, reasons.c.id == absences.c.reason_id)
            .where(absences.c.company_id == self.company.id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {row.cod_interno: dict(row._mapping) for row in rows}

    def advances(self) -> dict[str, dict[str, Any]]:
        """The company's advances by cod_interno: matrícula, data and valor."""
        query = (
            select(advances.c.cod_interno, people.c.matricula, advances.c.data, advances.c.valor)
            .join(people, people.c.id == advances.c.person_id)
            .where(advances.c.company_id == self.company.id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {row.cod_interno: dict(row._mapping) for row in rows}


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
    return sum(1 for s in statements if f"FROM {table} " in s or s.rstrip().endswith(table))
