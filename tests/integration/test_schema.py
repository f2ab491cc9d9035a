"""The schema (SPEC 3.1, ARCHITECTURE 3): migrations and schema.py never drift, and the request
state machine is enforced by the database itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String, inspect, update
from sqlalchemy.exc import IntegrityError

from itg.settings import Settings
from itg.storage import queue
from itg.storage.database import Database
from itg.storage.migrate import upgrade_schema
from itg.storage.schema import metadata, requests
from itg.timeutil import utcnow
from tests.builders import person


def test_the_migrated_database_matches_schema_py(db: Database):
    # Given a database brought to the newest revision (the `db` fixture), upgraded once more
    upgrade_schema(db)
    # When autogenerate compares it with the tables declared in itg.storage.schema
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)
        tables = set(inspect(conn).get_table_names())
    # Then there is nothing to migrate, and every declared table exists
    assert differences == []
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_the_comparison_would_report_a_drift(db: Database):
    # Given schema.py's tables with one column and one index more than the migrations create
    drifted = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["people"].append_column(Column("apelido", String(60), nullable=True))
    Index("ix_people_cargo", drifted.tables["people"].c.cargo)
    # When compared with the migrated database
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), drifted)
    # Then both additions are reported (so an empty comparison above means something)
    assert sorted(
        (d[0], d[3].name if d[0] == "add_column" else d[1].name) for d in differences
    ) == [
        ("add_column", "apelido"),
        ("add_index", "ix_people_cargo"),
    ]


def test_the_one_processing_per_company_index_is_partial_and_unique(db: Database):
    with db.engine.connect() as conn:
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("requests")}
    index = indexes["uq_requests_one_processing_per_company"]
    assert (index["column_names"], bool(index["unique"])) == (["company_id"], True)
    where = index["dialect_options"][f"{db.engine.dialect.name}_where"]
    # PostgreSQL reports the predicate in its own normal form: ((status)::text = '…'::text)
    assert "'processing'" in str(where) and "status" in str(where)


FINISHED = {"finished_at": utcnow(), "lease_expires_at": None}


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"status": "bogus"}, id="unknown-status"),
        pytest.param({"status": "DONE", **FINISHED}, id="status-in-capitals"),
        pytest.param({"status": "done"}, id="final-without-finished_at"),
        pytest.param({"status": "queued", "finished_at": utcnow()}, id="queued-with-finished_at"),
        pytest.param({"done": 3}, id="done-over-total"),
        pytest.param({"done": -1}, id="negative-done"),
        pytest.param({"done": 1, "failed": 2}, id="failed-over-done"),
    ],
)
def test_an_illegal_request_state_is_refused(store, db: Database, values: dict[str, Any]):
    # Given a stored request of two records
    accepted = store.accept([person("1"), person("2")])
    request_id = store.request(accepted.subunique)["id"]
    # When it is set to an illegal state, Then the database refuses
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(update(requests).where(requests.c.id == request_id).values(**values))
    assert store.request(accepted.subunique)["status"] == "queued"


@pytest.mark.parametrize("final", ["done", "warning", "error", "canceled"])
def test_a_final_status_with_finished_at_is_accepted(store, db: Database, final: str):
    accepted = store.accept([person("1")])
    request_id = store.request(accepted.subunique)["id"]
    with db.write() as conn:
        conn.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(status=final, done=1, failed=0 if final == "done" else 1, **FINISHED)
        )
    assert store.request(accepted.subunique)["status"] == final


def test_a_second_processing_request_of_a_company_is_refused(
    store, db: Database, settings: Settings, other_company
):
    # Given a company with one request processing and another queued
    store.accept([person("1")])
    second = store.accept([person("2")])
    claim = queue.claim_next(db, settings.lease_seconds)
    assert claim is not None
    second_id = store.request(second.subunique)["id"]
    # When the second is forced into processing too, Then the database refuses
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(
            update(requests)
            .where(requests.c.id == second_id)
            .values(status="processing", lease_expires_at=utcnow() + timedelta(seconds=30))
        )
    assert store.request(second.subunique)["status"] == "queued"
    # while another company may have its own request processing
    other = store.accept([person("1")], tenant=other_company)
    assert queue.claim_next(db, settings.lease_seconds) is not None
    assert store.request(other.subunique, other_company)["status"] == "processing"
