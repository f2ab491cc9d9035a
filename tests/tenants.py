"""The test tenant: a company with one service user, for in-process tests (real processes
have only `Credentials`, tests/processes.py). Every test folder uses this one type."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from itg.permissions import all_routes
from itg.storage import tenants
from itg.storage.database import Database

TENANT_CODE = "a000101"  # the `tenant` fixture's company
OTHER_CODE = "b000202"  # the `other_company` fixture's company


@dataclass(frozen=True)
class Tenant:
    code: str
    id: int
    username: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return basic_auth(self.username, self.password)


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def make_tenant(db: Database, code: str, routes: tuple[str, ...] | None = None) -> Tenant:
    """A company with one service user `user-<code>` (all routes unless `routes` says
    otherwise)."""
    company = tenants.create_company(db, code, f"Company {code}")
    allowed = all_routes() if routes is None else routes
    user, password = tenants.create_service_user(db, f"user-{code}", code, allowed)
    return Tenant(company.code, company.id, user.username, password)


def add_user(db: Database, company: Tenant, username: str, routes: tuple[str, ...]) -> Tenant:
    """Another service user of `company`, allowed `routes`."""
    user, password = tenants.create_service_user(db, username, company.code, routes)
    return Tenant(company.code, company.id, user.username, password)
