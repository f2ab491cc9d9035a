"""The back-office side of a company: absence reasons, schedules, profiles, locked months."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from itg.domain.catalog import CatalogKind, catalog_key
from itg.errors import ConflictError, NotFoundError, UsageError
from itg.storage.database import Database
from itg.storage.schema import locked_periods, profiles, reasons, schedules
from itg.storage.tenants import company_id


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    description: str


def add_entry(
    db: Database, kind: CatalogKind, company_code: str, key: str, description: str | None
) -> CatalogEntry:
    key = key.strip()
    if not key:
        raise UsageError("the catalog key must not be empty")
    description = (description or key).strip()
    with db.write() as conn:
        owner = company_id(conn, company_code)
        try:
            with conn.begin_nested():
                conn.execute(insert(_TABLES[kind]).values(_row(kind, owner, key, description)))
        except IntegrityError:
            raise ConflictError(f"{kind} {key!r} already exists in {company_code}") from None
    return CatalogEntry(key, description)


def list_entries(db: Database, kind: CatalogKind, company_code: str) -> list[CatalogEntry]:
    table = _TABLES[kind]
    key_column, description_column = _COLUMNS[kind]
    with db.read() as conn:
        owner = company_id(conn, company_code)
        rows = conn.execute(
            select(table.c[key_column], table.c[description_column])
            .where(table.c.company_id == owner)
            .order_by(table.c[key_column])
        ).all()
    return [CatalogEntry(key, description) for key, description in rows]


def lock_period(db: Database, company_code: str, competence: str) -> None:
    with db.write() as conn:
        owner = company_id(conn, company_code)
        if competence not in locked_competences(conn, owner):
            conn.execute(insert(locked_periods).values(company_id=owner, competence=competence))


def unlock_period(db: Database, company_code: str, competence: str) -> None:
    with db.write() as conn:
        owner = company_id(conn, company_code)
        removed = conn.execute(
            delete(locked_periods).where(
                locked_periods.c.company_id == owner, locked_periods.c.competence == competence
            )
        ).rowcount
    if not removed:
        raise NotFoundError(f"{competence} is not locked in {company_code}")


def locked_competences(conn: Connection, owner: int) -> set[str]:
    rows = conn.execute(
        select(locked_periods.c.competence).where(locked_periods.c.company_id == owner)
    )
    return {competence for (competence,) in rows}


_TABLES: dict[CatalogKind, Table] = {
    CatalogKind.REASON: reasons,
    CatalogKind.SCHEDULE: schedules,
    CatalogKind.PROFILE: profiles,
}
_COLUMNS = {
    CatalogKind.REASON: ("code", "description"),
    CatalogKind.SCHEDULE: ("code", "name"),
    CatalogKind.PROFILE: ("name", "name"),
}


def _row(kind: CatalogKind, owner: int, key: str, description: str) -> dict[str, object]:
    if kind is CatalogKind.REASON:
        return {
            "company_id": owner,
            "code": key,
            "description": description,
            "code_key": catalog_key(key),
            "description_key": catalog_key(description),
        }
    if kind is CatalogKind.SCHEDULE:
        return {"company_id": owner, "code": key, "name": description, "code_key": catalog_key(key)}
    return {"company_id": owner, "name": key, "name_key": catalog_key(key)}
