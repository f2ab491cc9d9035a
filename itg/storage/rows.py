"""Set-based reads and writes for the domain tables, used once per chunk (never per record).

A chunk loads every row it may touch with one query per table, changes them in memory while
validating record by record, and writes the result back with one batched statement per kind
of change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)

Row = dict[str, Any]


def load_rows(
    conn: Connection, table: Table, company_id: int, match: Mapping[str, Collection[Any]]
) -> list[Row]:
    """Rows of the company whose column equals any listed value, for any listed column."""
    columns = tuple(column for column, values in match.items() if values)
    if not columns:
        return []
    parameters: dict[str, Any] = {"company_id": company_id}
    parameters.update({f"in_{column}": list(match[column]) for column in columns})
    return [dict(row._mapping) for row in conn.execute(_load_query(table, columns), parameters)]


@lru_cache(maxsize=256)
def _load_query(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    """One statement per (table, columns), built once: its lists are expanding parameters, so
    SQLAlchemy's compiled cache serves every chunk."""
    # The company goes into every alternative, so that SQLite answers each one from its
    # (company_id, column) index; with `company = ? AND (a OR b)` it scanned the company.
    company: BindParameter[Any] = bindparam("company_id")
    return select(table).where(
        or_(
            *(
                and_(
                    table.c.company_id == company,
                    table.c[column].in_(bindparam(f"in_{column}", expanding=True)),
                )
                for column in columns
            )
        )
    )


def load_all(conn: Connection, table: Table, company_id: int) -> list[Row]:
    """Every row of a small per-company table (catalogs)."""
    return [
        dict(r._mapping)
        for r in conn.execute(select(table).where(table.c.company_id == company_id))
    ]


def insert_rows(conn: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Insert new rows (their `id` is assigned by the database)."""
    batch = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    if batch:
        conn.execute(insert(table), batch)


def update_rows(conn: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Write back whole rows by id, in one executemany."""
    batch = [
        {**{f"v_{k}": v for k, v in row.items() if k != "id"}, "row_id": row["id"]} for row in rows
    ]
    if not batch:
        return
    columns = [k.removeprefix("v_") for k in batch[0] if k != "row_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"v_{column}") for column in columns})
    )
    conn.execute(statement, batch)


def delete_rows(conn: Connection, table: Table, ids: Collection[int]) -> None:
    if ids:
        conn.execute(delete(table).where(table.c.id.in_(list(ids))))
