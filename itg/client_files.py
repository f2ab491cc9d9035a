"""The records of `itg send ROUTE FILE`: a JSON array, JSON Lines, or CSV with a header row.

The format follows the extension (.json, .jsonl/.ndjson, .csv). Otherwise, and for `-`
(stdin), it is sniffed from the first non-blank character: `[` is a JSON array, `{` JSON
Lines, anything else CSV. Every error is one line naming the file and, where the input is
malformed, the line.

CSV: the first row names the fields, the delimiter is `,` (or `;` when the header has
semicolons and no commas, as spreadsheets in Brazilian locales write it), empty cells are left
out of the record (a field cannot be sent as "" from CSV; use JSON for that), rows whose cells
are all empty are skipped, and the route's array fields (`localizacoes` of people,
`localizacao` of users) are split on `|`. Values are sent as text: the server converts them
(SPEC 2.1).
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from itg.errors import UsageError

ARRAY_FIELDS: dict[str, frozenset[str]] = {
    "people": frozenset({"localizacoes"}),
    "users": frozenset({"localizacao"}),
}
FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
Record = dict[str, Any]


class InputFileError(UsageError):
    """The FILE of `itg send` cannot be read as records (exit status 2, nothing sent)."""


@dataclass(frozen=True)
class NumberedRecords:
    """The records of a file and, for JSON Lines and CSV, the line each one starts on (for
    reports that point into the file; a JSON array gives none)."""

    records: list[Record]
    lines: list[int] | None

    def line(self, index: int) -> int | None:
        """The file line of the record at `index`, None when unknown."""
        if self.lines is None or not 0 <= index < len(self.lines):
            return None
        return self.lines[index]


def read_records(path: str, route: str) -> list[Record]:
    """The records of `path` (`-` for stdin) for `route`; at least one, or InputFileError."""
    return read_numbered_records(path, route).records


def read_numbered_records(path: str, route: str) -> NumberedRecords:
    """`read_records` with the line of each record (JSON Lines and CSV)."""
    name = "<stdin>" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    text = _decode(data, name)
    kind = FORMATS.get(Path(path).suffix.lower()) if path != "-" else None
    kind = kind or sniff(text)
    if kind == "json":
        numbered = NumberedRecords(_json_array(text, name), None)
    elif kind == "jsonl":
        numbered = _json_lines(text, name)
    else:
        numbered = _csv(text, name, ARRAY_FIELDS.get(route, frozenset()))
    if not numbered.records:
        raise InputFileError(f"{name}: no records in the file")
    return numbered


def sniff(text: str) -> str:
    """`json`, `jsonl` or `csv`, from the first non-blank character."""
    first = text.lstrip()[:1]
    return {"[": "json", "{": "jsonl"}.get(first, "csv")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(f"{name}, line {line}: not UTF-8 text (save it as UTF-8)") from None


def _json_array(text: str, name: str) -> list[Record]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputFileError(
            f"{name}, line {exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    if not isinstance(value, list):
        raise InputFileError(
            f"{name}: a JSON file must hold an array of records, not {_kind(value)}"
        )
    for index, record in enumerate(value):
        if not isinstance(record, dict):
            raise InputFileError(
                f"{name}: element {index} of the array is {_kind(record)}, not an object"
            )
    return value


def _json_lines(text: str, name: str) -> NumberedRecords:
    records: list[Record] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputFileError(
                f"{name}, line {number}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if not isinstance(record, dict):
            raise InputFileError(
                f"{name}, line {number}: a record must be a JSON object, not {_kind(record)}"
            )
        records.append(record)
        lines.append(number)
    return NumberedRecords(records, lines)


def _csv(text: str, name: str, array_fields: frozenset[str]) -> NumberedRecords:
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    records: list[Record] = []
    lines: list[int] = []
    line = 1  # the line where the next row starts
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _header(row, name, start)
            elif len(row) != len(header):
                raise InputFileError(
                    f"{name}, line {start}: {len(row)} cells, but the header has "
                    f"{len(header)} columns"
                )
            else:
                records.append(_row(header, row, array_fields))
                lines.append(start)
    except csv.Error as exc:
        raise InputFileError(f"{name}, line {line}: malformed CSV: {exc}") from None
    return NumberedRecords(records, lines)


def _header(row: list[str], name: str, line: int) -> list[str]:
    header = [cell.strip() for cell in row]
    for position, field in enumerate(header, start=1):
        if not field:
            raise InputFileError(
                f"{name}, line {line}: column {position} of the header has no name"
            )
        if header.index(field) != position - 1:
            raise InputFileError(f"{name}, line {line}: the header names {field!r} twice")
    return header


def _row(header: list[str], row: list[str], array_fields: frozenset[str]) -> Record:
    record: Record = {}
    for field, cell in zip(header, row, strict=True):
        if cell == "":
            continue
        if field in array_fields:
            record[field] = [part.strip() for part in cell.split("|") if part.strip()]
        else:
            record[field] = cell
    return record


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
