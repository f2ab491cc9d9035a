"""Planner statistics stay fresh on PostgreSQL while tables grow (itg/storage/statistics.py).

Both engines: on SQLite there is nothing to refresh; on PostgreSQL a table that changed by more
than the threshold since its last ANALYZE is analyzed once, and then no longer counts as stale.
Each test has a database of its own: the shared one's emptying between tests counts as
changes too, and would make its tables stale at moments these tests cannot know.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import insert, text

from itg.settings import Settings
from itg.storage import tenants
from itg.storage.database import Database, open_database
from itg.storage.migrate import upgrade_schema
from itg.storage.schema import cost_centers
from itg.storage.statistics import ANALYZE_THRESHOLD_ROWS, refresh_statistics
from itg.timeutil import utcnow
from tests import engines

engine = engines.engine
database_url = engines.database_url
TABLES = [cost_centers.name, "requests", "people"]


@pytest.fixture
def fresh_db(database_url: str) -> Iterator[Database]:
    db = open_database(Settings(database_url=database_url))
    upgrade_schema(db)
    try:
        yield db
    finally:
        db.dispose()


def add_cost_centers(db: Database, count: int) -> None:
    company = tenants.create_company(db, "a000001", "Empresa")
    now = utcnow()
    rows = [
        {"company_id": company.id, "codigo": f"CC{n}", "nome": f"Centro {n}", "updated_at": now}
        for n in range(count)
    ]
    with db.write() as conn:
        conn.execute(insert(cost_centers), rows)
        if db.is_postgres:
            # Publish this backend's table counters at commit, not up to a second later.
            conn.execute(text("SELECT pg_stat_force_next_flush()"))


def test_a_table_that_grew_past_the_threshold_is_analyzed_once(fresh_db: Database):
    add_cost_centers(fresh_db, ANALYZE_THRESHOLD_ROWS + 1)
    first = refresh_statistics(fresh_db, TABLES)
    second = refresh_statistics(fresh_db, TABLES)
    if fresh_db.is_postgres:
        assert (first, second) == ([cost_centers.name], [])
        with fresh_db.read() as conn:
            analyzed = conn.execute(
                text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": cost_centers.name},
            ).scalar_one()
        assert analyzed is True
    else:
        assert (first, second) == ([], [])


def test_a_table_below_the_threshold_is_left_to_autovacuum(fresh_db: Database):
    add_cost_centers(fresh_db, 10)
    assert refresh_statistics(fresh_db, TABLES) == []
