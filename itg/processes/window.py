"""`GET /process?unique=` (SPEC 1.6): a whole window, streamed from storage in batches.

A window may carry any number of errors, so its body is never built in memory: the processes
are read once, then the error rows in keyset-paginated batches (`UniqueReport`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from itg.errors import NotFoundError
from itg.outcomes import FINAL_STATUSES, Status, final_status
from itg.processes import queries
from itg.processes.queries import ProcessRow
from itg.processes.shapes import error_entry, progress
from itg.processes.visibility import PROCESS_NOT_FOUND, check_visible
from itg.settings import Settings
from itg.storage.database import Database
from itg.timeutil import iso, utcnow

# Error rows per storage read while streaming a window: about 70 kB of JSON. Measured with 12
# concurrent reads of 100,000 errors, a read costs about 1 MB on PostgreSQL (3 MB on SQLite,
# page cache of its connection included) and takes as long as the in-memory body did; 1000
# rows doubled the memory for no speed, 250 cost time (SPEC 1.6).
ERROR_BATCH_ROWS = 500


@dataclass(frozen=True)
class _Failing:
    """A request of the window that had failed records when the window was read."""

    id: int
    done: int  # its errors are exactly those with idx < done (committed together, SPEC 3.3)
    failed: int
    tail: bytes  # `,"subunique":"…"`, closing each of its error entries


class UniqueReport:
    """The body of `GET /process?unique=` (SPEC 1.6), streamed from storage.

    `open_unique` reads the window once (its processes: one small row per request), decides
    404/410 and renders everything after `data.errors`; `chunks()` then reads the error rows in
    keyset-paginated batches, each in its own short read transaction (no connection is held
    while a slow client is written to). The body is self-consistent: only the errors of the
    requests read at first, below their `done` of then, are listed, so a request that
    progresses meanwhile adds nothing that its `progress` does not count. The bytes are those of
    `orjson.dumps` of the whole body (compact, keys in SPEC order).
    """

    def __init__(self, db: Database, failing: list[_Failing], rest: bytes, batch_rows: int) -> None:
        self._db = db
        self._failing = failing
        self._rest = rest  # the body after `data`, from `"company"` to the closing brace
        self._batch_rows = batch_rows

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces of about one batch each."""
        opening = b'{"data":{"errors":['
        separator = opening
        for entries in self._error_entries():
            yield separator + entries
            separator = b","
        yield (opening if separator is opening else b"") + b"]}," + self._rest

    def _error_entries(self) -> Iterator[bytes]:
        """The error entries, one batch at a time, joined by commas (never an empty batch)."""
        # Keyset: the next request to read, the last index read of it, and how many of its
        # errors were listed so far (all `failed` of them listed: the request is complete).
        position, after, listed = 0, -1, 0
        while position < len(self._failing):
            group = self._group(position, listed)
            with self._db.read() as conn:
                rows = queries.error_batch(conn, [f.id for f in group], after, self._batch_rows)
            by_id = {f.id: f for f in group}
            # Rows at or past a request's `done` were written after the window was read.
            kept = [row for row in rows if row[1] < by_id[row[0]].done]
            if kept:
                yield b",".join(
                    error_entry(index, identifier, messages_json, by_id[request_id].tail)
                    for request_id, index, identifier, messages_json in kept
                )
            if len(rows) < self._batch_rows:  # the group is exhausted
                position, after, listed = position + len(group), -1, 0
                continue
            last = by_id[rows[-1][0]]
            listed = (listed if last is group[0] else 0) + sum(row[0] == last.id for row in kept)
            position += group.index(last)
            after = rows[-1][1]
            if listed >= last.failed:
                position, after, listed = position + 1, -1, 0

    def _group(self, position: int, listed: int) -> list[_Failing]:
        """The requests from `position` (`listed` of its errors already are) whose remaining
        errors fill about one batch (at least one request)."""
        group: list[_Failing] = []
        expected = -listed
        for failing in self._failing[position:]:
            if group and expected >= self._batch_rows:
                break
            group.append(failing)
            expected += failing.failed
        return group


def open_unique(
    db: Database,
    settings: Settings,
    company_id: int,
    company_code: str,
    unique: str,
) -> UniqueReport:
    """`GET /process?unique=`, ready to stream; raises 404/410 before anything is sent.

    Never cached: a later request may still join the window.
    """
    with db.read() as conn:
        processes = queries.by_unique(conn, company_id, unique)
    if not processes:
        raise NotFoundError(PROCESS_NOT_FOUND)
    finished_at = _window_finished_at(processes)
    check_visible(finished_at, settings, utcnow())
    routes = {process.route for process in processes}
    rest = orjson.dumps(
        {
            "company": company_code,
            "unique": unique,
            "subunique": None,
            "status": _window_status(processes),
            "progress": progress(
                sum(p.done for p in processes), sum(_counted_total(p) for p in processes)
            ),
            "route": routes.pop() if len(routes) == 1 else None,
            "created_at": iso(processes[0].created_at),
            "finished_at": iso(finished_at),
            "processes": [
                {
                    "subunique": p.subunique,
                    "route": p.route,
                    "status": p.status,
                    "progress": progress(p.done, p.total),
                    **({"cancel_requested": True} if p.cancel_requested else {}),
                }
                for p in processes
            ],
        }
    )[1:]
    failing = [
        _Failing(p.id, p.done, p.failed, b',"subunique":"%s"' % p.subunique.encode())
        for p in processes
        if p.failed
    ]
    return UniqueReport(db, failing, rest, ERROR_BATCH_ROWS)


def _window_finished_at(processes: Sequence[ProcessRow]) -> datetime | None:
    """When the last of them finished (a window expires from there), None while any is not."""
    if any(p.finished_at is None for p in processes):
        return None
    return max(p.finished_at for p in processes if p.finished_at is not None)


def _counted_total(process: ProcessRow) -> int:
    """A process's records in the window's totals: a canceled one's unprocessed records
    count nowhere (SPEC 1.9), only those it processed."""
    return process.done if process.status == Status.CANCELED else process.total


def _window_status(processes: Sequence[ProcessRow]) -> Status:
    """Queued while all are, processing while any is unfinished, then over all its records
    (those of canceled processes that were processed); `canceled` when none was (SPEC 1.9)."""
    if all(p.status == Status.QUEUED for p in processes):
        return Status.QUEUED
    if any(p.status not in FINAL_STATUSES for p in processes):
        return Status.PROCESSING
    total = sum(_counted_total(p) for p in processes)
    if total == 0:
        return Status.CANCELED
    return final_status(total, sum(p.failed for p in processes))
