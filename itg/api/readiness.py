"""GET /readyz (SPEC 1.7): whether a load balancer should send this process requests.

Alive is not ready. /healthz answers whether the process runs and its database answers;
/readyz also answers 503 while the database's schema is not at this code's head revision
(another process is still migrating it, or this code is older than the schema) and while the
process drains after SIGTERM (itg/cli/draining.py), so that a load balancer stops sending
before the process stops accepting. Like /healthz it needs no credentials.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.openapi import ERROR_SCHEMA
from itg.api.probes import STORAGE_UNREACHABLE  # the words of /healthz
from itg.api.responses import error_body, error_response, json_response
from itg.storage.database import Database
from itg.storage.migrate import current_revision, head_revision

READY = {"status": "ready"}
DRAINING = "Not ready: draining"
MIGRATIONS_PENDING = "Not ready: migrations pending"


class Readiness:
    """The state /readyz reports for one process: its drain and its schema.

    The process (`itg serve`) calls `drain()` on SIGTERM; the answer is then 503 for good. The
    schema check reads the database's Alembic revision until it is seen at head once: a schema
    never goes back (a rollback of the code is a new process), so from then on a probe costs
    one `SELECT 1`.
    """

    def __init__(self) -> None:
        self._draining = threading.Event()
        self._head: str | None = None  # this code's head revision, read once
        self._at_head = False

    def drain(self) -> None:
        self._draining.set()

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def reason(self, db: Database) -> str | None:
        """Why the process is not ready (a message of SPEC 1.2's body), or None. Blocking:
        called in a read thread. Raises when the storage does not answer."""
        if self.draining:
            return DRAINING
        if self._at_head:
            db.ping()
            return None
        if self._head is None:
            self._head = head_revision()
        if current_revision(db) != self._head:
            return MIGRATIONS_PENDING
        self._at_head = True
        return None


def readyz_endpoint(
    ctx: ApiContext, readiness: Readiness
) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        try:
            reason = await ctx.reads.run(readiness.reason, ctx.db)
        except Exception:
            return error_response(503, STORAGE_UNREACHABLE)
        if reason is not None:
            return error_response(503, reason)
        return json_response(READY)

    return readyz


def readyz_route_openapi() -> dict[str, Any]:
    """The route's arguments for `add_api_route`: its two answers, in the document."""
    return {
        "tags": ["operations"],
        "summary": "Readiness probe (no credentials)",
        "responses": {
            200: {
                "description": "The database answers, its schema is current, and the process is"
                " not draining",
                "content": {"application/json": {"example": READY}},
            },
            503: {
                "description": f"`{MIGRATIONS_PENDING}`, `{DRAINING}` (after SIGTERM) or"
                f" `{STORAGE_UNREACHABLE}`",
                "content": {
                    "application/json": {
                        "schema": ERROR_SCHEMA,
                        "example": error_body(503, DRAINING),
                    }
                },
            },
        },
    }
