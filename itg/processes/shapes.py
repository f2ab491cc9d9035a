"""The JSON pieces every read body shares (SPEC 1.6–1.7): `progress` and error entries.

Error entries are written directly as JSON bytes from the stored rows (whose message arrays
are already JSON): a process may carry a thousand errors, and building a dict per error would
dominate the cost of a read.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from itg.outcomes import progress
from itg.processes.queries import ErrorRow

__all__ = ["error_entry", "errors_json", "progress"]


def errors_json(errors: Sequence[ErrorRow]) -> orjson.Fragment:
    """The `data.errors` array of one process as JSON."""
    entries = [
        error_entry(index, identifier, messages_json)
        for _, index, identifier, messages_json in errors
    ]
    return orjson.Fragment(b"[" + b",".join(entries) + b"]")


def error_entry(index: int, identifier: str, messages_json: str, tail: bytes = b"") -> bytes:
    """One error entry; `tail` adds keys (the `subunique` of a window's entry)."""
    return b'{"identifier":%b,"index":%d,"message":%b%b}' % (
        orjson.dumps(identifier),
        index,
        messages_json.encode(),
        tail,
    )
