"""Each company's records not yet processed (`company_backlog`, SPEC 1.10's backlog quota).

The count is the sum of `total - done` over the company's queued and processing requests,
kept in one row so that the quota costs one read however deep the queue is. It changes only
inside the transactions that change that sum: storing a request adds its records, a chunk
subtracts the records it processed, and a request that ends early (cancel, faults) subtracts
the ones it will never process. tests/integration/test_backlog_counter.py checks the
invariant after every kind of run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from itg.storage.schema import company_backlog

_SUBTRACT = (
    update(company_backlog)
    .where(company_backlog.c.company_id == bindparam("backlog_company"))
    .values(pending_records=company_backlog.c.pending_records - bindparam("records"))
)
_READ = select(company_backlog.c.pending_records).where(
    company_backlog.c.company_id == bindparam("company_id")
)


def _add_statement(upsert: Any) -> Any:
    statement = upsert(company_backlog).values(
        company_id=bindparam("backlog_company"), pending_records=bindparam("records")
    )
    return statement.on_conflict_do_update(
        index_elements=["company_id"],
        set_={
            "pending_records": company_backlog.c.pending_records
            + statement.excluded.pending_records
        },
    )


# Built once per dialect: accepting runs it inside SQLite's writer lock.
_ADD = {"postgresql": _add_statement(pg_insert), "sqlite": _add_statement(sqlite_insert)}


def add_pending(conn: Connection, company_id: int, records: int) -> None:
    """Count a stored request's records (in the transaction that stores it)."""
    conn.execute(_ADD[conn.dialect.name], {"backlog_company": company_id, "records": records})


def remove_pending(conn: Connection, company_id: int, records: int) -> None:
    """Uncount records processed, or never to be processed (in the transaction that says so)."""
    if records:
        conn.execute(_SUBTRACT, {"backlog_company": company_id, "records": records})


def pending(conn: Connection, company_id: int) -> int:
    """The company's records not yet processed."""
    found = conn.execute(_READ, {"company_id": company_id}).scalar()
    return int(found or 0)
