"""A new route is one module plus one line in the registry (itg/services/registry.py).

The module below is written to a temporary directory and imported from there; the only other
change is its line in the registry (`SERVICES`, monkeypatched). The route is then accepted
(SPEC 1.4), applied by a worker and reported (1.6), listed (1.7), documented in
/openapi.json (1.7) and allowed to service users (1.1): nothing else in itg names it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from itg.api.app import create_app
from itg.cli.main import app as cli
from itg.services.base import Service
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import cost_centers
from itg.worker import Worker
from tests.tenants import TENANT_CODE, Tenant, basic_auth, make_tenant

# A route that exists only here: timesheets, upserted by `codigo` into the cost centers table
# (an existing table, so the test needs no schema of its own).
TIMESHEETS_MODULE = '''
"""timesheets — a route of tests/routes/test_new_route.py only."""

from itg.services.base import Service, keyed_by
from itg.services.docs import TEXT, FieldDoc, RouteDoc
from itg.services.fields import Fields


def parse(record):
    f = Fields(record)
    return f, f.key("codigo", 30), f.text("nome", 150)


class TimesheetsView:
    def __init__(self, ctx, inputs):
        self.ctx = ctx
        codes = {code for _, code, _ in inputs if code}
        self.rows = ctx.store.load("cost_centers", {"codigo": codes}, key="codigo")

    def apply(self, item):
        f, code, name = item
        if not f.ok:
            return f.messages
        existing = self.rows.get(code)
        if existing is None:
            self.rows.add(
                {"company_id": self.ctx.company_id, "codigo": code, "nome": name or code,
                 "updated_at": self.ctx.now}
            )
        elif name:
            self.rows.change(existing, {"nome": name, "updated_at": self.ctx.now})
        return []


SERVICE = Service(
    route="timesheets",
    accepted_message="Timesheets Integration on progress",
    identifier=keyed_by("codigo"),
    parse=parse,
    view=TimesheetsView,
    doc=RouteDoc(
        "Timesheets, a route of a test",
        (
            FieldDoc("codigo", TEXT, "yes", "the key"),
            FieldDoc("nome", TEXT, "no", "the sheet's name"),
        ),
        [{"codigo": "T1", "nome": "Folha 1"}],
    ),
)
'''

RECORDS = [{"codigo": "T1", "nome": "Folha 1"}, {"nome": "sem código"}]


@pytest.fixture
def timesheets(tmp_path, monkeypatch) -> Service:  # type: ignore[no-untyped-def]
    """The new module, imported from a temporary file, and its one line in the registry."""
    path = tmp_path / "timesheets.py"
    path.write_text(TIMESHEETS_MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("itg_test_timesheets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(SERVICES, "timesheets", module.SERVICE)
    return module.SERVICE


@pytest.fixture
def client(timesheets: Service, settings: Settings, db: Database) -> Iterator[TestClient]:
    """The API built after the route was registered (as `itg serve` builds it at start)."""
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tenant(timesheets: Service, db: Database) -> Tenant:
    """The test's company, made after the route was registered: its service user was given
    every route (`all`), the new one included."""
    return make_tenant(db, TENANT_CODE)


def test_the_new_route_is_accepted_applied_and_reported(
    client: TestClient, tenant: Tenant, settings: Settings, db: Database
):
    # When a request with one valid and one keyless record is posted to the new route
    response = client.post("/timesheets", json=RECORDS, headers=tenant.headers)
    # Then it is accepted with the route's own message
    assert response.status_code == 200
    accepted = response.json()
    assert accepted["message"] == "Timesheets Integration on progress"
    # When a worker runs
    assert Worker(db, settings).run_once() is True
    # Then the valid record is stored and the other one reported with its message
    with db.read() as conn:
        stored = conn.execute(select(cost_centers.c.codigo, cost_centers.c.nome)).all()
    assert [tuple(row) for row in stored] == [("T1", "Folha 1")]
    report = client.get(
        "/process", params={"subunique": accepted["subunique"]}, headers=tenant.headers
    ).json()
    assert (report["route"], report["status"], report["progress"]) == (
        "timesheets",
        "warning",
        {"done": "2", "total": "2"},
    )
    assert report["data"]["errors"] == [
        {"identifier": "", "index": 1, "message": ["Campo obrigatório: codigo"]}
    ]
    # and the list of processes filters on it like on any write route
    listed = client.get("/processes", params={"route": "timesheets"}, headers=tenant.headers)
    assert listed.status_code == 200
    assert [p["subunique"] for p in listed.json()["processes"]] == [accepted["subunique"]]


def test_the_new_route_is_documented_from_its_module(client: TestClient):
    # When the OpenAPI document is read
    document = client.get("/openapi.json").json()
    # Then the route has its operation, built from the module's doc and message
    operation = document["paths"]["/timesheets"]["post"]
    assert operation["summary"] == "Timesheets, a route of a test"
    assert "| `codigo` | text | yes | the key |" in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["example"] == [{"codigo": "T1", "nome": "Folha 1"}]
    assert set(body["schema"]["items"]["properties"]) == {"codigo", "nome"}
    answer = operation["responses"]["200"]["content"]["application/json"]
    accepted = answer["schema"]["anyOf"][0]  # [1] is the body of a dry run (SPEC 1.11)
    assert accepted["properties"]["message"]["const"] == ("Timesheets Integration on progress")
    # and the monitor's schemas name it among the write routes
    monitor = document["paths"]["/process"]["get"]["responses"]["200"]["content"]
    assert "timesheets" in monitor["application/json"]["schema"]["properties"]["route"]["enum"]


def test_the_new_route_is_a_permission_like_any_other(
    client: TestClient, timesheets: Service, db: Database, monkeypatch
):
    # Given a company, a user created by `itg user create --routes timesheets`, one with
    # `--routes all` and one with `--routes people`
    make_tenant(db, TENANT_CODE, ("people",))
    # (the command runs in this process, to see this test's registry, on the test's database)
    monkeypatch.setattr("itg.cli.admin.database_for", lambda _url: db)
    passwords = {
        routes: _create_user(f"user-{routes}", routes) for routes in ("timesheets", "all", "people")
    }
    # When each posts to the new route
    statuses = {
        routes: client.post(
            "/timesheets", json=RECORDS, headers=basic_auth(f"user-{routes}", password)
        ).status_code
        for routes, password in passwords.items()
    }
    # Then the two given it may, the other is forbidden (SPEC 1.1)
    assert statuses == {"timesheets": 200, "all": 200, "people": 403}


def _create_user(username: str, routes: str) -> str:
    """`itg user create --routes <routes>`; returns the new user's password."""
    args = ["user", "create", username, "--company", TENANT_CODE, "--routes", routes, "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    created = orjson.loads(result.stdout)
    assert created["routes"] == EXPECTED_ROUTES[routes]
    return created["password"]


EXPECTED_ROUTES = {
    "timesheets": ["timesheets"],
    "people": ["people"],
    # `all` is read from the registry when the command runs: the new route comes after the
    # seven of SPEC 1.1, then the monitor.
    "all": [
        *("people", "absences", "paymentDate", "anticipate", "subsidiaries", "costcenter"),
        *("users", "timesheets", "process"),
    ],
}
