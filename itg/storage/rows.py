"""Set-based reads and writes for the domain tables, used once per chunk (never per record).

A chunk loads every row it may touch with one query per table, changes them in memory while
validating record by record, and writes the result back with one batched statement per kind
of change. Their SQL is itg/storage/batch_sql.py's; they still run through
`Connection.exec_driver_sql`, so the chunk's transaction, the engine's events and the
statement-count test (tests/integration/test_chunk_queries.py) see every one of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, select

from itg.storage.batch_sql import Row as Row
from itg.storage.batch_sql import table_sql


def load_rows(
    conn: Connection, table: Table, company_id: int, match: Mapping[str, Collection[Any]]
) -> list[Row]:
    """Rows of the company whose column equals any listed value, for any listed column."""
    columns = tuple(column for column, values in match.items() if values)
    if not columns:
        return []
    sql = table_sql(conn.dialect, table)
    lists = [sql.bound(column, list(match[column])) for column in columns]
    result = conn.exec_driver_sql(*sql.load(columns, company_id, lists))
    read = sql.reader(tuple(entry[1] for entry in result.cursor.description))
    return [read(row) for row in result.fetchall()]


def load_all(conn: Connection, table: Table, company_id: int) -> list[Row]:
    """Every row of a small per-company table (catalogs)."""
    return [
        dict(r._mapping)
        for r in conn.execute(select(table).where(table.c.company_id == company_id))
    ]


def insert_rows(conn: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Insert new rows (their `id` is assigned by the database); every row has the columns of
    the first one."""
    batch = list(rows)
    if batch:
        columns = tuple(column for column in batch[0] if column != "id")
        conn.exec_driver_sql(*table_sql(conn.dialect, table).insert(columns, batch))


def update_rows(conn: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Write back rows by id, in one statement; every row has the columns of the first one."""
    batch = list(rows)
    if batch:
        columns = tuple(column for column in batch[0] if column != "id")
        conn.exec_driver_sql(*table_sql(conn.dialect, table).update(columns, batch))


def delete_rows(conn: Connection, table: Table, ids: Collection[int]) -> None:
    if ids:
        conn.exec_driver_sql(*table_sql(conn.dialect, table).delete(list(ids)))
