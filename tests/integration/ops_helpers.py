"""Helpers for the operation-driven routes' tests (absences, anticipate): drive the API
in-process, create prerequisites (employees, reasons, locks), read the stored rows back.

A plain module imported by test_absences.py and test_anticipate.py; it depends only on the
fixtures of tests/conftest.py.
"""

from __future__ import annotations

from typing import Any

from driving import (  # noqa: F401  (re-exported for the test modules)
    Company,
    Driver,
    counting_selects,
    employee,
    entry,
    errors,
    selects_from,
)
from sqlalchemy import select

from itg.storage.catalogs import CatalogKind, add_entry, lock_period
from itg.storage.database import Database
from itg.storage.schema import absences, advances, people, reasons
from tests.tenants import Tenant, make_tenant


def new_company(db: Database, code: str) -> Tenant:
    return make_tenant(db, code)


class Ops(Driver):
    """The Driver plus the prerequisites of these routes: employees, reasons, locks."""

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
