"""The rows one chunk works on: loaded once, indexed, changed in memory, written back once.

Records of a chunk see the effects of the records before them (SPEC 2.1) because they all
read and change this one in-memory view; `flush` then writes it with batched statements.
Services reach it through the chunk store (itg/storage/chunk_store.py), as the
`TrackedRows` of itg/services/base.py: they never see its table or connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table

from itg.storage.rows import Row, delete_rows, insert_rows, update_rows


class RowIndex:
    """Rows of one table, findable by the key and by unique columns, tracking changes."""

    def __init__(self, table: Table, rows: Iterable[Row], key: str, unique: tuple[str, ...] = ()):
        self.table = table
        self.key = key
        self.loaded: list[Row] = []  # every row loaded: the same objects `change` updates
        self._columns = (key, *unique)
        self._by: dict[str, dict[Any, Row]] = {column: {} for column in self._columns}
        self._stored_keys: dict[int, Any] = {}
        self._new: list[Row] = []
        self._dirty: dict[int, Row] = {}
        self._deleted: set[int] = set()
        for row in rows:
            self.loaded.append(row)
            self._stored_keys[row["id"]] = row[key]
            self._index(row)

    def find(self, column: str, value: Any) -> Row | None:
        if value is None:
            return None
        return self._by[column].get(value)

    def get(self, key: Any) -> Row | None:
        return self.find(self.key, key)

    def add(self, row: Row) -> None:
        row.setdefault("id", None)
        self._new.append(row)
        self._index(row)

    def change(self, row: Row, changes: dict[str, Any]) -> None:
        self._unindex(row)
        row.update(changes)
        self._index(row)
        if row["id"] is not None:
            self._dirty[row["id"]] = row

    def remove(self, row: Row) -> None:
        self._unindex(row)
        if row["id"] is None:
            self._new = [new for new in self._new if new is not row]  # identity, not equality
        else:
            self._dirty.pop(row["id"], None)
            self._deleted.add(row["id"])

    def flush(self, conn: Connection) -> None:
        """Deletes, then updates, then inserts: the order in which keys are freed and taken."""
        delete_rows(conn, self.table, self._deleted)
        renamed = [
            row for row in self._dirty.values() if row[self.key] != self._stored_keys[row["id"]]
        ]
        if renamed:
            # Park renamed rows on a placeholder first, so swaps within a chunk never collide
            # with the unique index on the key (keys are trimmed: none starts with a space).
            update_rows(
                conn, self.table, [{"id": r["id"], self.key: f" {r['id']}"} for r in renamed]
            )
        update_rows(conn, self.table, self._dirty.values())
        insert_rows(conn, self.table, self._new)

    def _index(self, row: Row) -> None:
        for column in self._columns:
            value = row.get(column)
            if value is not None:
                self._by[column][value] = row

    def _unindex(self, row: Row) -> None:
        for column in self._columns:
            value = row.get(column)
            if value is not None and self._by[column].get(value) is row:
                del self._by[column][value]
