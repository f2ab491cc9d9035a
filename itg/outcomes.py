"""What processing a request produces: its status and its failed records (SPEC 1.6, 2.2).

A neutral module: storage writes these, services produce them, the read side shows them;
none of those layers owns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """A request's state: queued → processing → one final value (enforced by the schema)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"  # every record succeeded
    WARNING = "warning"  # some failed
    ERROR = "error"  # all failed
    CANCELED = "canceled"  # stopped on request (SPEC 1.9): the rest was not applied

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES: tuple[Status, ...] = (Status.DONE, Status.WARNING, Status.ERROR, Status.CANCELED)
STATUSES: tuple[Status, ...] = tuple(Status)


@dataclass(frozen=True)
class RecordError:
    """One failed record: its position in the request, its identifier, all its messages."""

    index: int
    identifier: str
    messages: tuple[str, ...]


def final_status(total: int, failed: int) -> Status:
    if failed == 0:
        return Status.DONE
    return Status.ERROR if failed == total else Status.WARNING


def progress(done: int, total: int) -> dict[str, str]:
    """Records processed so far (succeeded + failed) and in the request: strings, as in the
    public API (SPEC 1.6); every body that reports a process says it so (the monitor, the
    list, a dry run, a webhook event)."""
    return {"done": str(done), "total": str(total)}
