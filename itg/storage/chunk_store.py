"""The store a service applies one chunk through: its only way to the database.

A service names tables and columns and gets rows back (`itg.services.base.ChunkStore`); the
connection, the tables and the SQL stay here. Everything runs on the chunk's connection,
inside the worker's transaction for the chunk (SPEC 3.3), with one query per `load` and
batched writes on `flush`, so the statement count does not grow with the chunk (SPEC 6).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection, Table

from itg.storage.catalogs import locked_competences
from itg.storage.rowindex import RowIndex
from itg.storage.rows import Row, load_all, load_rows
from itg.storage.schema import metadata


class SqlChunkStore:
    """The rows of one company that one chunk reads and changes, on the chunk's connection."""

    def __init__(self, conn: Connection, company_id: int) -> None:
        self._conn = conn
        self.company_id = company_id
        self._tracked: list[RowIndex] = []

    def load(
        self,
        table: str,
        match: Mapping[str, Collection[Any]],
        *,
        key: str,
        unique: tuple[str, ...] = (),
    ) -> RowIndex:
        """The rows matching any listed value of any listed column, indexed by `key` and the
        `unique` columns; their changes are written by `flush`."""
        found = _table(table)
        rows = RowIndex(found, load_rows(self._conn, found, self.company_id, match), key, unique)
        self._tracked.append(rows)
        return rows

    def lookup(self, table: str, match: Mapping[str, Collection[Any]]) -> list[Row]:
        """Rows the chunk only reads (references), matched like `load`."""
        return load_rows(self._conn, _table(table), self.company_id, match)

    def load_all(self, table: str) -> list[Row]:
        """Every row of a small per-company table (a catalog)."""
        return load_all(self._conn, _table(table), self.company_id)

    def locked_competences(self) -> set[str]:
        return locked_competences(self._conn, self.company_id)

    def flush(self) -> None:
        """Write back what the loaded rows became, table by table in the order loaded (once:
        the rows are then forgotten, so a second flush writes nothing twice)."""
        tracked, self._tracked = self._tracked, []
        for rows in tracked:
            rows.flush(self._conn)


def _table(name: str) -> Table:
    return metadata.tables[name]
