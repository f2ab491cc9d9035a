"""The SQL of a chunk's batched reads and writes, written once per table, shape and dialect.

These are the apply path's hot statements (SPEC 6, 6.1), so they bypass SQLAlchemy's statement
compilation and its per-row parameter handling, which cost more than SQLite's own work on
them. Values still go through their column type's SQLAlchemy bind and result processors
(only the columns whose type has one), so what is stored and loaded is exactly what
SQLAlchemy would store and load.

The two engines want different shapes, and this module is where they differ:
- SQLite: `IN (?, …)` lists and the driver's executemany, which steps one prepared statement.
- PostgreSQL: every list is one array parameter (binary, `%b`), so a statement's text is the
  same for every chunk (psycopg prepares it once, PostgreSQL plans it once) and a chunk's rows
  travel in one statement: `INSERT … SELECT FROM unnest(…)` costs the client about half of
  what psycopg's per-row executemany does, and the server less.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Column, Dialect, Table

Row = dict[str, Any]
Processor = Callable[[Any], Any]
Parameters = tuple[Any, ...] | list[tuple[Any, ...]]  # one execution, or an executemany
Made = TypeVar("Made")

# PostgreSQL array types for the columns' Python types (no length: a varchar(n)[] cast would
# silently cut a longer text, where the INSERT's own assignment reports it).
_PG_ARRAYS = {
    str: "text[]",
    int: "bigint[]",
    bool: "boolean[]",
    date: "date[]",
    datetime: "timestamp[]",
    Decimal: "numeric[]",
    float: "double precision[]",
    bytes: "bytea[]",
}


def table_sql(dialect: Dialect, table: Table) -> TableSql:
    """The statements of `table` in `dialect` (one object per pair, kept for the process)."""
    return _table_sql(dialect, table)


@lru_cache(maxsize=64)
def _table_sql(dialect: Dialect, table: Table) -> TableSql:
    if dialect.name == "postgresql":
        return PostgresSql(dialect, table)
    if dialect.name == "sqlite":
        return SqliteSql(dialect, table)
    raise NotImplementedError(f"no batched SQL for {dialect.name}")


class TableSql:
    """What both engines share: names, processors, reading rows back."""

    def __init__(self, dialect: Dialect, table: Table) -> None:
        self.dialect = dialect
        self.table = table
        quote = dialect.identifier_preparer.quote
        self.names = tuple(column.name for column in table.columns)
        self.table_name = dialect.identifier_preparer.format_table(table)
        self.selected = ", ".join(quote(name) for name in self.names)
        self.quote = quote
        self._readers: dict[tuple[Any, ...], Callable[[Sequence[Any]], Row]] = {}
        self._made: dict[tuple[Any, ...], Any] = {}

    def load(
        self, columns: tuple[str, ...], company_id: int, lists: list[list[Any]]
    ) -> tuple[str, Parameters]:
        """The rows of the company whose column equals any value of its list, for any of
        `columns` (every column of the table is selected)."""
        raise NotImplementedError

    def insert(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        raise NotImplementedError

    def update(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        """Set `columns` of each row, found by its `id`."""
        raise NotImplementedError

    def delete(self, ids: Sequence[int]) -> tuple[str, Parameters]:
        raise NotImplementedError

    def bound(self, column: str, values: list[Any]) -> list[Any]:
        """Values of a column as its type binds them in this dialect."""
        process = _bind_processor(self.dialect, self.table.c[column])
        return values if process is None else [process(value) for value in values]

    def reader(self, type_codes: tuple[Any, ...]) -> Callable[[Sequence[Any]], Row]:
        """Turns a fetched row of `load` into a column -> value dict, each value as its type
        loads it (the cursor's type codes decide some, e.g. psycopg's numerics)."""
        read = self._readers.get(type_codes)
        if read is None:
            read = self._readers[type_codes] = self._reader(type_codes)
        return read

    def _reader(self, type_codes: tuple[Any, ...]) -> Callable[[Sequence[Any]], Row]:
        names = self.names
        processors = [
            (index, processor)
            for index, (column, code) in enumerate(zip(self.table.columns, type_codes, strict=True))
            if (processor := _result_processor(self.dialect, column, code)) is not None
        ]
        if not processors:
            return lambda row: dict(zip(names, row, strict=True))

        def read(row: Sequence[Any]) -> Row:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            return dict(zip(names, values, strict=True))

        return read

    def _cached(self, key: tuple[Any, ...], build: Callable[[], Made]) -> Made:
        """A statement (and its parameter maker), built once per shape."""
        made: Made | None = self._made.get(key)
        if made is None:
            made = self._made[key] = build()
        return made

    def _processors(self, columns: Sequence[str]) -> list[tuple[int, Processor]]:
        return [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := _bind_processor(self.dialect, self.table.c[column])) is not None
        ]


class SqliteSql(TableSql):
    """Lists of placeholders; writes as one executemany."""

    def load(
        self, columns: tuple[str, ...], company_id: int, lists: list[list[Any]]
    ) -> tuple[str, Parameters]:
        # The company goes into every alternative, so that SQLite answers each one from its
        # (company_id, column) index; with `company = ? AND (a OR b)` it scanned the company.
        # Written per call (list lengths vary; caching every shape would grow without bound).
        alternatives = " OR ".join(
            f"({self.quote('company_id')} = ? AND {self.quote(column)} IN ({_marks(len(values))}))"
            for column, values in zip(columns, lists, strict=True)
        )
        parameters: list[Any] = []
        for values in lists:
            parameters.append(company_id)
            parameters.extend(values)
        statement = f"SELECT {self.selected} FROM {self.table_name} WHERE {alternatives}"
        return statement, tuple(parameters)

    def insert(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        def build() -> tuple[str, Callable[[list[Row]], Parameters]]:
            names = ", ".join(self.quote(column) for column in columns)
            marks = _marks(len(columns))
            statement = f"INSERT INTO {self.table_name} ({names}) VALUES ({marks})"
            return statement, self._values(columns)

        statement, values = self._cached(("insert", columns), build)
        return statement, values(rows)

    def update(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        def build() -> tuple[str, Callable[[list[Row]], Parameters]]:
            assignments = ", ".join(f"{self.quote(column)} = ?" for column in columns)
            statement = f"UPDATE {self.table_name} SET {assignments} WHERE {self.quote('id')} = ?"
            return statement, self._values((*columns, "id"))

        statement, values = self._cached(("update", columns), build)
        return statement, values(rows)

    def delete(self, ids: Sequence[int]) -> tuple[str, Parameters]:
        marks = _marks(len(ids))
        return f"DELETE FROM {self.table_name} WHERE {self.quote('id')} IN ({marks})", tuple(ids)

    def _values(self, columns: tuple[str, ...]) -> Callable[[list[Row]], list[tuple[Any, ...]]]:
        """The rows' values for `columns`, in order, each bound as its type binds it."""
        pick = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        processors = self._processors(columns)
        if not processors:
            return lambda rows: [pick(row) for row in rows]

        def values(rows: list[Row]) -> list[tuple[Any, ...]]:
            # A chunk repeats its values (`updated_at` is the chunk's, dates and flags recur):
            # each distinct one is processed once. Keyed by type too, so 1 and True stay apart.
            memos: list[dict[tuple[type, Any], Any]] = [{} for _ in processors]
            batch = []
            for row in rows:
                picked = list(pick(row))
                for (index, process), memo in zip(processors, memos, strict=True):
                    value = picked[index]
                    key = (value.__class__, value)
                    done = memo.get(key, memo)
                    if done is memo:
                        done = memo[key] = process(value)
                    picked[index] = done
                batch.append(tuple(picked))
            return batch

        return values


class PostgresSql(TableSql):
    """One binary array parameter per list or column; one statement per batch."""

    def load(
        self, columns: tuple[str, ...], company_id: int, lists: list[list[Any]]
    ) -> tuple[str, Parameters]:
        def build() -> str:
            alternatives = " OR ".join(
                f"({self.quote('company_id')} = %b"
                f" AND {self.quote(column)} = ANY({self._array(column)}))"
                for column in columns
            )
            return f"SELECT {self.selected} FROM {self.table_name} WHERE {alternatives}"

        statement = self._cached(("load", columns), build)
        parameters: list[Any] = []
        for values in lists:
            parameters += (company_id, values)
        return statement, tuple(parameters)

    def insert(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        def build() -> tuple[str, Callable[[list[Row]], Parameters]]:
            names = ", ".join(self.quote(column) for column in columns)
            arrays = ", ".join(self._array(column) for column in columns)
            statement = f"INSERT INTO {self.table_name} ({names}) SELECT * FROM unnest({arrays})"
            return statement, self._arrays(columns)

        statement, arrays = self._cached(("insert", columns), build)
        return statement, arrays(rows)

    def update(self, columns: tuple[str, ...], rows: list[Row]) -> tuple[str, Parameters]:
        def build() -> tuple[str, Callable[[list[Row]], Parameters]]:
            every = (*columns, "id")
            names = ", ".join(self.quote(column) for column in every)
            arrays = ", ".join(self._array(column) for column in every)
            assignments = ", ".join(
                f"{self.quote(column)} = changed.{self.quote(column)}" for column in columns
            )
            statement = (
                f"UPDATE {self.table_name} SET {assignments}"
                f" FROM unnest({arrays}) AS changed({names})"
                f" WHERE {self.table_name}.{self.quote('id')} = changed.{self.quote('id')}"
            )
            return statement, self._arrays(every)

        statement, arrays = self._cached(("update", columns), build)
        return statement, arrays(rows)

    def delete(self, ids: Sequence[int]) -> tuple[str, Parameters]:
        statement = f"DELETE FROM {self.table_name} WHERE {self.quote('id')} = ANY(%b)"
        return statement, (list(ids),)

    def _array(self, column: str) -> str:
        """A binary array parameter holding values of `column`, cast to its element type."""
        python_type = self.table.c[column].type.python_type
        return f"CAST(%b AS {_PG_ARRAYS[python_type]})"

    def _arrays(self, columns: tuple[str, ...]) -> Callable[[list[Row]], tuple[Any, ...]]:
        """The rows' values as one list per column, each bound as its type binds it."""
        processors = dict(self._processors(columns))

        def arrays(rows: list[Row]) -> tuple[Any, ...]:
            lists = []
            for index, column in enumerate(columns):
                values = [row[column] for row in rows]
                process = processors.get(index)
                lists.append(values if process is None else [process(v) for v in values])
            return tuple(lists)

        return arrays


@lru_cache(maxsize=256)
def _marks(count: int) -> str:
    """SQLite's placeholders for `count` values."""
    return ", ".join("?" * count)


def _bind_processor(dialect: Dialect, column: Column[Any]) -> Processor | None:
    processor: Processor | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _result_processor(dialect: Dialect, column: Column[Any], type_code: Any) -> Processor | None:
    processor: Processor | None = column.type.dialect_impl(dialect).result_processor(
        dialect, type_code
    )
    return processor
