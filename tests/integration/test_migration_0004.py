"""Migration 0004 (SPEC 1.8–1.10) on a database that holds work: nothing is lost.

On SQLite it rebuilds `requests` to widen its status CHECK; with foreign keys enforced, dropping
the old table would cascade to the payloads and error entries. Each test has a database of
its own, brought to revision 0003 first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, insert, select, text

from itg.settings import Settings
from itg.storage.database import Database, open_database
from itg.storage.migrate import MIGRATIONS_DIR, upgrade_schema
from itg.storage.schema import (
    company_backlog,
    record_errors,
    request_payloads,
    requests,
)
from itg.timeutil import utcnow
from tests import engines

engine = engines.engine
database_url = engines.database_url


@pytest.fixture
def at_0003(database_url: str) -> Iterator[Database]:
    db = open_database(Settings(database_url=database_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    try:
        yield db
    finally:
        db.dispose()


def test_requests_payloads_and_errors_survive_and_the_backlog_is_counted(at_0003: Database):
    db = at_0003
    now = utcnow()
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO companies (id, code, name, enabled, created_at)"
                " VALUES (1, 'a000001', 'A', true, :now), (2, 'b000001', 'B', true, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO windows (id, company_id, unique_code, opened_at, last_request_at)"
                " VALUES (1, 1, 'aaaaaaaa', :now, :now), (2, 2, 'bbbbbbbb', :now, :now)"
            ),
            {"now": now},
        )
        rows = [  # (id, company, status, total, done, failed, finished)
            (1, 1, "done", 2, 2, 1, now),
            (2, 1, "processing", 300, 100, 0, None),
            (3, 1, "queued", 50, 0, 0, None),
            (4, 2, "queued", 7, 0, 0, None),
        ]
        for request_id, company, status, total, done, failed, finished in rows:
            conn.execute(
                text(
                    "INSERT INTO requests (id, company_id, window_id, subunique, route, total,"
                    " done, failed, status, attempt, faults, created_at, finished_at)"
                    " VALUES (:id, :c, :c, :sub, 'people', :total, :done, :failed, :status,"
                    " 1, 0, :now, :finished)"
                ),
                {
                    "id": request_id,
                    "c": company,
                    "sub": f"{request_id:08x}",
                    "total": total,
                    "done": done,
                    "failed": failed,
                    "status": status,
                    "now": now,
                    "finished": finished,
                },
            )
            conn.execute(insert(request_payloads).values(request_id=request_id, payload=b"[{}]"))
        conn.execute(
            insert(record_errors).values(
                request_id=1, idx=0, identifier="1", messages='["CPF Inválido"]'
            )
        )
    # When the schema is brought to the newest revision
    upgrade_schema(db)
    # Then every row is still there, and each company's backlog is its unprocessed records
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(requests)).scalar() == 4
        assert conn.execute(select(func.count()).select_from(request_payloads)).scalar() == 4
        assert conn.execute(select(record_errors.c.messages)).scalars().all() == [
            '["CPF Inválido"]'
        ]
        backlog = {c: n for c, n in conn.execute(select(company_backlog))}
        assert backlog == {1: 200 + 50, 2: 7}
        cancels = conn.execute(select(requests.c.cancel_requested)).scalars().all()
        assert cancels == [False] * 4
    # And foreign keys are enforced again on SQLite (a reference to no request is refused)
    if db.is_sqlite:
        with db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
