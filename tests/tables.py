"""One company's stored rows, read straight from the domain tables (what requests left), and
the catalog set-up the routes refer to (reasons, locked periods) written through storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, insert, select

from itg.domain.catalog import CatalogKind
from itg.storage import backlog
from itg.storage.catalogs import add_entry, lock_period
from itg.storage.database import Database
from itg.storage.schema import (
    absences,
    advances,
    cost_centers,
    people,
    reasons,
    request_payloads,
    requests,
    windows,
)
from itg.timeutil import utcnow
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


def store_backlog(
    db: Database, company_id: int, count: int, payload: bytes, records_per_request: int
) -> None:
    """`count` more requests of one company, half finished and half queued, in one bulk
    insert into `requests` + `request_payloads` under a window of their own (a deep backlog
    for tests/integration/test_claim_order.py and bench/backlog.py)."""
    if count <= 0:
        return
    now = utcnow()
    with db.write() as conn:
        # Subuniques are sequential here but random for requests accepted by the API: skip
        # the ones already taken (the unique index would refuse the whole insert).
        taken = set(
            conn.execute(
                select(requests.c.subunique).where(requests.c.company_id == company_id)
            ).scalars()
        )
        window_count = conn.execute(select(windows.c.id).where(windows.c.company_id == company_id))
        window_id = conn.execute(
            insert(windows).values(
                company_id=company_id,
                unique_code=f"ba{len(window_count.all()):06x}",
                opened_at=now,
                last_request_at=now,
            )
        ).inserted_primary_key[0]
        rows = []
        n = 0
        while len(rows) < count:
            subunique = f"{n:08x}"
            n += 1
            if subunique in taken:
                continue
            finished = len(rows) < count // 2
            rows.append(
                {
                    "company_id": company_id,
                    "window_id": window_id,
                    "subunique": subunique,
                    "route": "people",
                    "total": records_per_request,
                    "done": records_per_request if finished else 0,
                    "failed": 0,
                    "status": "done" if finished else "queued",
                    "attempt": 1 if finished else 0,
                    "faults": 0,
                    "created_at": now,
                    "started_at": now if finished else None,
                    "finished_at": now if finished else None,
                }
            )
        ids = conn.execute(
            insert(requests).returning(requests.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        conn.execute(
            insert(request_payloads), [{"request_id": id_, "payload": payload} for id_ in ids]
        )
        # The queued half counts in the company's backlog, as the intake would have counted it.
        queued = sum(1 for row in rows if row["status"] == "queued")
        backlog.add_pending(conn, company_id, queued * records_per_request)
        if db.is_postgres:
            conn.exec_driver_sql("ANALYZE requests")
            conn.exec_driver_sql("ANALYZE request_payloads")
