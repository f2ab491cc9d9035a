"""Driving itg in-process: the HTTP API of one company (POST, drain the queue with a real
worker, GET /process), the worker loop the tests drain with, and a recorder of the SQL
statements a block sends.

`Applier` is what a route test does with records whichever way they reach the service:
`Driver` (here) goes through HTTP and the queue, `Harness` (tests/harness.py) calls the
service directly. Both return the report of GET /process (SPEC 1.6) and read the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from itg.settings import Settings
from itg.storage.database import Database
from itg.worker import RETRY_DELAYS_SECONDS, Worker
from tests.builders import employee, errors
from tests.tables import Tables
from tests.tenants import Tenant

Record = dict[str, Any]

FINAL = ("done", "warning", "error")


class Applier(Tables):
    """Records applied for one company, and its tables read back."""

    def apply(self, route: str, records: list[Any], tenant: Tenant | None = None) -> Record:
        """Apply the records; the report of GET /process (SPEC 1.6)."""
        raise NotImplementedError

    def ok(self, route: str, records: list[Any], tenant: Tenant | None = None) -> None:
        """Apply records that must all succeed (set-up steps and documented examples)."""
        report = self.apply(route, records, tenant)
        assert (report["status"], report["data"]["errors"]) == ("done", []), report

    def fails(self, route: str, records: list[Any], tenant: Tenant | None = None) -> list[Record]:
        """Apply records that must all fail; their error entries, messages sorted."""
        report = self.apply(route, records, tenant)
        assert report["status"] == "error", report
        return errors(report)

    def employees(self, *matriculas: str, tenant: Tenant | None = None) -> None:
        """People that absences and advances can refer to (`builders.employee`)."""
        self.ok("people", [employee(m) for m in matriculas], tenant)


@dataclass
class Driver(Applier):
    """The API of one company driven in-process: POST, a real worker, GET /process."""

    client: TestClient
    run_worker: Callable[[], int]

    def send(self, route: str, records: list[Any], tenant: Tenant | None = None) -> str:
        """POST a request that must be accepted; its subunique."""
        headers = (tenant or self.tenant).headers
        response = self.client.post(f"/{route}", json=records, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["subunique"]

    def report(self, subunique: str, tenant: Tenant | None = None) -> Record:
        """GET /process?subunique=, which must answer 200."""
        headers = (tenant or self.tenant).headers
        response = self.client.get("/process", params={"subunique": subunique}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def apply(self, route: str, records: list[Any], tenant: Tenant | None = None) -> Record:
        """POST the records, drain the queue with a real worker, return the final report."""
        subunique = self.send(route, records, tenant)
        self.run_worker()
        report = self.report(subunique, tenant)
        assert report["status"] in FINAL, report
        assert report["progress"] == {"done": str(len(records)), "total": str(len(records))}
        return report


def drain(
    db: Database, settings: Settings, retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS
) -> int:
    """Run a real worker until the queue is empty; how many requests it processed."""
    worker = Worker(db, settings, retry_delays=retry_delays)
    count = 0
    while worker.run_once():
        count += 1
    return count


@contextmanager
def recording_statements(
    db: Database, keep: Callable[[str], bool] = lambda statement: True
) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the block runs (an executemany once),
    those `keep` accepts."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if keep(statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def selects_from(statements: list[str], table: str) -> int:
    """How many of the statements are SELECTs reading `table` as their main table."""
    return sum(
        1
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and (f"FROM {table}\n" in s or f"FROM {table} " in s or s.rstrip().endswith(table))
    )


def post_scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope of a POST to `path` on the test server, for tests that drive the app
    without a client to watch how it reads the body."""
    sent = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *sent],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
