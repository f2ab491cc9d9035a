"""One company's stored rows, read straight from the domain tables (what requests left), and
the catalog set-up the routes refer to (reasons, locked periods) written through storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select

from itg.storage.catalogs import CatalogKind, add_entry, lock_period
from itg.storage.database import Database
from itg.storage.schema import absences, advances, cost_centers, people, reasons
from tests.tenants import Tenant

Record = dict[str, Any]

HIDDEN = ("id", "company_id", "updated_at")  # what no rule decides: surrogate, owner, time


@dataclass
class Tables:
    """The tables of `tenant` (another company's where a call names it)."""

    db: Database
    tenant: Tenant

    def rows(self, table: Table, tenant: Tenant | None = None) -> list[Record]:
        """The company's rows of `table` in insertion order, without the HIDDEN columns."""
        owner = (tenant or self.tenant).id
        with self.db.read() as conn:
            found = conn.execute(
                select(table).where(table.c.company_id == owner).order_by(table.c.id)
            ).all()
        return [{k: v for k, v in row._mapping.items() if k not in HIDDEN} for row in found]

    def people(self, tenant: Tenant | None = None) -> dict[str, Record]:
        """The company's people by matrícula."""
        return {row["matricula"]: row for row in self.rows(people, tenant)}

    def people_count(self, tenant: Tenant | None = None) -> int:
        owner = (tenant or self.tenant).id
        with self.db.read() as conn:
            return conn.execute(
                select(func.count()).select_from(people).where(people.c.company_id == owner)
            ).scalar_one()

    def cost_centers(self, tenant: Tenant | None = None) -> dict[str, str]:
        """The company's cost centers: codigo -> nome."""
        return {row["codigo"]: row["nome"] for row in self.rows(cost_centers, tenant)}

    def absences(self) -> dict[str, Record]:
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
            .where(absences.c.company_id == self.tenant.id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {row.cod_interno: dict(row._mapping) for row in rows}

    def advances(self) -> dict[str, Record]:
        """The company's advances by cod_interno: matrícula, data and valor."""
        query = (
            select(advances.c.cod_interno, people.c.matricula, advances.c.data, advances.c.valor)
            .join(people, people.c.id == advances.c.person_id)
            .where(advances.c.company_id == self.tenant.id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {row.cod_interno: dict(row._mapping) for row in rows}

    # -- catalog set-up ------------------------------------------------------------------------

    def reason(self, code: str, description: str, tenant: Tenant | None = None) -> None:
        """An absence reason in the company's catalog."""
        add_entry(self.db, CatalogKind.REASON, (tenant or self.tenant).code, code, description)

    def lock(self, competence: str) -> None:
        """Lock the company's `AAAA-MM` period (SPEC 2.4)."""
        lock_period(self.db, self.tenant.code, competence)
