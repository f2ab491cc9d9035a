"""Process logs (SPEC 1.7, SPEC 6 "Logs stay useful under abuse"): one handler on the root
logger for itg's and uvicorn's loggers, writing text for people or one JSON object per line
for log pipelines (`ITG_LOG_FORMAT`), each line with the context it was written in.

The context is held in context variables, so that it follows the work without being passed
around: the request id of an HTTP request (set by the app's front, itg/api/app.py, and kept
by the threads Starlette runs handlers in) and the claim a worker processes (company,
subunique, route, attempt and the request id of the POST that stored it).

Never logged: record content and credentials. itg's own messages carry ids, counts and routes
only; a traceback keeps its frames and exception types but not the exceptions' messages,
since those may quote what a record held (a database's `Key (cpf)=(…) already exists`, a
service's error about a value).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any

TEXT = "text"
JSON = "json"
FORMATS = (TEXT, JSON)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WITHHELD = "(message not logged)"


@dataclass(frozen=True)
class Context:
    """What a log line is about: the claim a worker processes (SPEC 3.2), the HTTP request
    (SPEC 1.7)."""

    company: str | None = None
    subunique: str | None = None
    route: str | None = None
    attempt: int | None = None
    request_id: str | None = None


# Set once per HTTP request by the app's front (its hot path: one `set`, no reset — each
# request runs in a task of its own, whose context ends with it).
REQUEST_ID: ContextVar[str | None] = ContextVar("itg_request_id", default=None)
_CLAIM: ContextVar[Context | None] = ContextVar("itg_claim", default=None)


@contextmanager
def claim_context(
    *, company: str, subunique: str, route: str, attempt: int, request_id: str | None
) -> Iterator[None]:
    """The context of every line logged while a worker processes one claim, cleared after."""
    token = _CLAIM.set(Context(company, subunique, route, attempt, request_id))
    try:
        yield
    finally:
        _CLAIM.reset(token)


def current_context() -> Context:
    """The context of a line logged now."""
    claim = _CLAIM.get()
    request_id = REQUEST_ID.get()
    if claim is None:
        return Context(request_id=request_id)
    if claim.request_id is None and request_id is not None:
        return Context(claim.company, claim.subunique, claim.route, claim.attempt, request_id)
    return claim


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def redacted_traceback(exc_info: ExcInfo) -> str:
    """The traceback of `exc_info` as Python prints it, chained exceptions included, with the
    frames and exception types but none of the exceptions' messages (they may quote record
    content)."""
    blocks: list[str] = []
    for exc, link in reversed(_chain(exc_info[1])):  # the first raised first, as Python does
        if link:
            blocks.append(f"\n{link}\n\n")
        frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
        head = "Traceback (most recent call last):\n" if frames else ""
        blocks.append(f"{head}{''.join(frames)}{_qualified_name(type(exc))}: {WITHHELD}\n")
    return "".join(blocks).rstrip("\n")


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """`exc` and the exceptions it was raised from or while handling, outermost first, each
    with the note that links it to the next one ("" for the first raised)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            chain.append((current, _CAUSE))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append((current, _CONTEXT))
            current = current.__context__
        else:
            chain.append((current, ""))
            current = None
    return chain


def _qualified_name(cls: type[BaseException]) -> str:
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class TextFormatter(logging.Formatter):
    """Today's text lines, with ` [<request id>]` after the logger's name when there is one,
    and tracebacks without exception messages."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or current_context().request_id
        record.exc_text = None  # another handler may have cached a traceback with messages
        line = super().format(record)
        if request_id is None:
            return line
        head = f"{record.levelname} {record.name}: "
        return line.replace(head, f"{record.levelname} {record.name} [{request_id}]: ", 1)

    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei)

    def formatStack(self, stack_info: str) -> str:
        return stack_info


class JsonFormatter(logging.Formatter):
    """One JSON object per line (SPEC 1.7): time (ISO 8601, UTC), level, logger, message,
    pid, the context present, and `exc_info` as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process if record.process is not None else os.getpid(),
        }
        context = current_context()
        for name in ("company", "subunique", "route", "attempt", "request_id"):
            # `extra=` of a call wins over the ambient context.
            value = getattr(record, name, None)
            if value is None:
                value = getattr(context, name)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            line["exc_info"] = redacted_traceback(record.exc_info)
        if record.stack_info:
            line["stack_info"] = record.stack_info
        # ASCII only: every control character and line separator (U+2028, NEL…) is escaped,
        # so the line stays one line for any reader.
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"), default=str)


def _utc_time(record: logging.LogRecord) -> str:
    """`2026-01-31T12:00:00.123Z`: ISO 8601, UTC, milliseconds."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def formatter(log_format: str) -> logging.Formatter:
    if log_format not in FORMATS:
        raise ValueError(f"unknown log format {log_format!r}")
    return JsonFormatter() if log_format == JSON else TextFormatter()


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Route every logger of the process (itg's, uvicorn's: see `itg serve`) through one
    stderr handler in `log_format`; called once by `itg serve` and `itg worker`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever it loads; its migration lines
    # ("Running upgrade …") stay, they matter at an upgrade.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # uvicorn's loggers propagate to the root once it is started with `log_config=None`.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
