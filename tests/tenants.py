"""A company with one service user, for tests: the one helper every test folder shares."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from itg.permissions import all_routes
from itg.storage import tenants
from itg.storage.database import Database


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
    """A company with one service user (all routes unless `routes` says otherwise)."""
    company = tenants.create_company(db, code, f"Company {code}")
    user, password = tenants.create_service_user(db, f"user-{code}", code, routes or all_routes())
    return Tenant(company.code, company.id, user.username, password)
