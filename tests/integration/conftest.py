"""Helpers local to the integration tests (storage, queue and worker on real SQLite and real
PostgreSQL: every test here runs on both engines through the `settings` override below).

Everything is a fixture, so test modules never import from a conftest (as in tests/api):
- `make`: record builders and valid Brazilian documents (computed here, independently of
  itg.domain);
- `store`: requests stored straight through `accept_request`, and reads of the queue and the
  domain tables;
- `api`: POST a request, drain the queue with a real worker, read GET /process;
- `other_company`: a second tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.intake import StoredRequest, accept_request
from itg.storage.schema import people, record_errors, requests
from itg.timeutil import utcnow
from tests.tenants import Tenant, make_tenant

Record = dict[str, Any]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """The same suite on both engines: a fresh SQLite file, or the emptied PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_settings")
    return Settings(database_url=f"sqlite:///{tmp_path / 'itg.db'}", credential_cache_seconds=0)


@pytest.fixture
def other_company(db: Database) -> Tenant:
    """A second company with an all-routes service user."""
    return make_tenant(db, "b000202")


# -- builders -----------------------------------------------------------------------------


class Make:
    ADMISSION = "01/02/2024"

    @staticmethod
    def cpf(seed: int) -> str:
        """A valid CPF (11 digits, check digits right), distinct for each seed."""
        base = f"{100_000_000 + seed:09d}"
        first = _mod11(base)
        return base + first + _mod11(base + first)

    @staticmethod
    def pis(seed: int) -> str:
        """A valid PIS/PASEP (11 digits, check digit right), distinct for each seed."""
        base = f"{1_000_000_000 + seed:010d}"
        weights = (3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
        check = 11 - sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
        return base + str(0 if check >= 10 else check)

    @classmethod
    def person(cls, matricula: Any, **fields: Any) -> Record:
        """A record inserting a valid person (no PIS needed); `fields` add or override."""
        return {
            "matricula": matricula,
            "nome": f"Pessoa {matricula}",
            "sem_pis": True,
            "dataAdmissao": cls.ADMISSION,
            **fields,
        }

    @classmethod
    def people(cls, total: int, invalid: Sequence[int] = ()) -> list[Record]:
        """`total` people; those at `invalid` positions fail with `Data de admissão inválida`."""
        return [
            cls.person(f"M{i:03d}", **({"dataAdmissao": "31/02/2024"} if i in invalid else {}))
            for i in range(total)
        ]

    @staticmethod
    def entry(index: int, identifier: str, *messages: str) -> Record:
        """An expected error entry; messages sorted, since their order carries no meaning."""
        return {"identifier": identifier, "index": index, "message": sorted(messages)}


def _mod11(digits: str) -> str:
    weights = range(len(digits) + 1, 1, -1)
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


@pytest.fixture
def make() -> type[Make]:
    return Make


# -- the queue and the domain tables, read and nudged directly ----------------------------


@dataclass
class Store:
    db: Database
    tenant: Tenant

    def accept(
        self, records: Sequence[Record], route: str = "people", tenant: Tenant | None = None
    ) -> StoredRequest:
        """Store a request exactly as the API does after its shape checks."""
        owner = tenant or self.tenant
        return accept_request(
            self.db,
            company_id=owner.id,
            company_code=owner.code,
            route=route,
            payload=orjson.dumps(list(records)),
            total=len(records),
            validity_seconds=900,
        )

    def request(self, subunique: str, tenant: Tenant | None = None) -> Record:
        """The stored request row (the queue entry) of a subunique."""
        owner = tenant or self.tenant
        with self.db.read() as conn:
            row = conn.execute(
                select(requests).where(
                    requests.c.company_id == owner.id, requests.c.subunique == subunique
                )
            ).one()
        return dict(row._mapping)

    def expire_lease(self, request_id: int) -> None:
        """Make a claim look abandoned (a dead or stuck worker): its lease ran out."""
        with self.db.write() as conn:
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(lease_expires_at=utcnow() - timedelta(minutes=1))
            )

    def errors(self, request_id: int) -> list[Record]:
        """Stored error rows of a request in index order, messages decoded."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(record_errors)
                .where(record_errors.c.request_id == request_id)
                .order_by(record_errors.c.idx)
            ).all()
        return [{**row._mapping, "messages": orjson.loads(row.messages)} for row in rows]

    def people(self, tenant: Tenant | None = None) -> dict[str, Record]:
        """The company's people by matrícula, without the surrogate id and the timestamp."""
        owner = tenant or self.tenant
        with self.db.read() as conn:
            rows = conn.execute(select(people).where(people.c.company_id == owner.id)).all()
        skip = ("id", "company_id", "updated_at")
        return {
            row.matricula: {k: v for k, v in row._mapping.items() if k not in skip} for row in rows
        }

    def people_count(self, tenant: Tenant | None = None) -> int:
        owner = tenant or self.tenant
        with self.db.read() as conn:
            return conn.execute(
                select(func.count()).select_from(people).where(people.c.company_id == owner.id)
            ).scalar_one()


@pytest.fixture
def store(db: Database, tenant: Tenant) -> Store:
    return Store(db, tenant)


# -- the HTTP API driven in-process -------------------------------------------------------


@dataclass
class Api:
    client: TestClient
    tenant: Tenant
    run_worker: Callable[[], int]

    def send(self, route: str, records: list[Any], tenant: Tenant | None = None) -> str:
        headers = (tenant or self.tenant).headers
        response = self.client.post(f"/{route}", json=records, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["subunique"]

    def report(self, subunique: str, tenant: Tenant | None = None) -> Record:
        headers = (tenant or self.tenant).headers
        response = self.client.get("/process", params={"subunique": subunique}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def apply(self, route: str, records: list[Any], tenant: Tenant | None = None) -> Record:
        """POST the records, let a real worker drain the queue, return GET /process."""
        subunique = self.send(route, records, tenant)
        self.run_worker()
        report = self.report(subunique, tenant)
        assert report["progress"] == {"done": str(len(records)), "total": str(len(records))}
        return report

    @staticmethod
    def errors(report: Record) -> list[Record]:
        """The report's error entries, each message list sorted (see `Make.entry`)."""
        return [
            {**error, "message": sorted(error["message"])} for error in report["data"]["errors"]
        ]


@pytest.fixture
def api(client: TestClient, tenant: Tenant, run_worker: Callable[[], int]) -> Api:
    return Api(client, tenant, run_worker)
