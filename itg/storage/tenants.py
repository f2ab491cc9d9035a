"""Companies (tenants) and their service users."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, func, insert, select, update

from itg import security
from itg.domain.catalog import catalog_key
from itg.errors import ConflictError, NotFoundError, UsageError
from itg.storage.database import Database, inserted_id
from itg.storage.schema import companies, profiles, service_users
from itg.timeutil import utcnow

DEFAULT_PROFILES = ("Administrador", "Gestor", "Apontador", "Funcionário")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class Company:
    id: int
    code: str
    name: str
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ServiceUser:
    username: str
    company: str
    routes: tuple[str, ...]
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Credential:
    """What authentication needs to know about one username."""

    username: str
    company_id: int
    company_code: str
    company_enabled: bool
    user_enabled: bool
    password_salt: str
    password_hash: str
    routes: frozenset[str]


def create_company(db: Database, code: str, name: str) -> Company:
    with db.write() as conn:
        return _insert_company(conn, code, name)


def bootstrap(
    db: Database, code: str, name: str, username: str, routes: tuple[str, ...]
) -> tuple[Company, ServiceUser, str] | None:
    """On an empty database, create the first company and a service user with `routes`
    (the caller passes every route: storage keeps no list of them).

    Returns None when a company already exists. One transaction, so two concurrent `itg init`
    runs create one company between them.
    """
    with db.write() as conn:
        if count_companies(conn):
            return None
        company = _insert_company(conn, code, name)
        user, password = _insert_user(conn, username, company, routes)
    return company, user, password


def _insert_company(conn: Connection, code: str, name: str) -> Company:
    if not _CODE.match(code):
        raise UsageError(f"company code must be 1-30 letters, digits, '_' or '-', got {code!r}")
    if _company(conn, code) is not None:
        raise ConflictError(f"company {code} already exists")
    now = utcnow()
    new_id = inserted_id(
        conn.execute(insert(companies).values(code=code, name=name, enabled=True, created_at=now))
    )
    conn.execute(
        insert(profiles),
        [{"company_id": new_id, "name": p, "name_key": catalog_key(p)} for p in DEFAULT_PROFILES],
    )
    return Company(new_id, code, name, True, now)


def count_companies(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(companies)).scalar_one()


def list_companies(db: Database) -> list[Company]:
    with db.read() as conn:
        rows = conn.execute(select(companies).order_by(companies.c.code)).all()
    return [_to_company(r) for r in rows]


def disable_company(db: Database, code: str) -> None:
    with db.write() as conn:
        changed = conn.execute(
            update(companies).where(companies.c.code == code).values(enabled=False)
        ).rowcount
    if not changed:
        raise NotFoundError(f"company {code} not found")


def company_id(conn: Connection, code: str) -> int:
    """The id of the company with this code, or NotFoundError."""
    company = _company(conn, code)
    if company is None:
        raise NotFoundError(f"company {code} not found")
    return company.id


def create_service_user(
    db: Database, username: str, company_code: str, routes: tuple[str, ...]
) -> tuple[ServiceUser, str]:
    """Create a user and return it with its password (shown once, stored only hashed)."""
    with db.write() as conn:
        company = _company(conn, company_code)
        if company is None:
            raise NotFoundError(f"company {company_code} not found")
        return _insert_user(conn, username, company, routes)


def _insert_user(
    conn: Connection, username: str, company: Company, routes: tuple[str, ...]
) -> tuple[ServiceUser, str]:
    if not _USERNAME.match(username):
        raise UsageError(
            f"username must be 1-64 letters, digits or '_.@-' (no ':'), got {username!r}"
        )
    taken = conn.execute(
        select(service_users.c.id).where(service_users.c.username == username)
    ).first()
    if taken is not None:
        raise ConflictError(f"user {username} already exists")
    password, salt = security.generate_password(), security.generate_salt()
    now = utcnow()
    conn.execute(
        insert(service_users).values(
            username=username,
            company_id=company.id,
            password_salt=salt,
            password_hash=security.hash_password(password, salt),
            routes=",".join(routes),
            enabled=True,
            created_at=now,
        )
    )
    return ServiceUser(username, company.code, routes, True, now), password


def reset_password(db: Database, username: str) -> tuple[ServiceUser, str]:
    password, salt = security.generate_password(), security.generate_salt()
    with db.write() as conn:
        changed = conn.execute(
            update(service_users)
            .where(service_users.c.username == username)
            .values(password_salt=salt, password_hash=security.hash_password(password, salt))
        ).rowcount
        if not changed:
            raise NotFoundError(f"user {username} not found")
        user = _users(conn, service_users.c.username == username)[0]
    return user, password


def disable_user(db: Database, username: str) -> None:
    with db.write() as conn:
        changed = conn.execute(
            update(service_users).where(service_users.c.username == username).values(enabled=False)
        ).rowcount
    if not changed:
        raise NotFoundError(f"user {username} not found")


def list_users(db: Database, company_code: str) -> list[ServiceUser]:
    with db.read() as conn:
        owner = company_id(conn, company_code)
        return _users(conn, service_users.c.company_id == owner)


def load_credential(db: Database, username: str) -> Credential | None:
    if "\x00" in username:
        return None  # no user can hold U+0000 (PostgreSQL refuses it in any text)
    query = (
        select(
            service_users.c.username,
            service_users.c.company_id,
            companies.c.code,
            companies.c.enabled.label("company_enabled"),
            service_users.c.enabled,
            service_users.c.password_salt,
            service_users.c.password_hash,
            service_users.c.routes,
        )
        .join(companies, companies.c.id == service_users.c.company_id)
        .where(service_users.c.username == username)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return Credential(
        username=row.username,
        company_id=row.company_id,
        company_code=row.code,
        company_enabled=row.company_enabled,
        user_enabled=row.enabled,
        password_salt=row.password_salt,
        password_hash=row.password_hash,
        routes=frozenset(_split_routes(row.routes)),
    )


def _company(conn: Connection, code: str) -> Company | None:
    row = conn.execute(select(companies).where(companies.c.code == code)).first()
    return None if row is None else _to_company(row)


def _to_company(row: Row[*tuple[Any, ...]]) -> Company:
    return Company(row.id, row.code, row.name, row.enabled, row.created_at)


def _users(conn: Connection, condition: ColumnElement[bool]) -> list[ServiceUser]:
    query = (
        select(service_users, companies.c.code)
        .join(companies, companies.c.id == service_users.c.company_id)
        .where(condition)
        .order_by(service_users.c.username)
    )
    return [
        ServiceUser(r.username, r.code, _split_routes(r.routes), r.enabled, r.created_at)
        for r in conn.execute(query)
    ]


def _split_routes(text: str) -> tuple[str, ...]:
    """The routes as stored, in their stored order. Storage keeps no list of route names:
    which names exist is checked when a user is created (`permissions.parse_routes`)."""
    return tuple(dict.fromkeys(name for name in text.split(",") if name))
