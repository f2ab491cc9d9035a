"""POST /process/cancel (SPEC 1.9): stop a process its caller may send.

The caller needs the route of that process (whoever may send it may cancel it), so the
route is checked after the process is found; an unknown or foreign id is 404 as in 1.6.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.monitor import read_report
from itg.api.openapi import error_responses, monitor_schema, version_parameters
from itg.api.origin import refuse_cross_origin
from itg.api.raw import query_value
from itg.api.responses import ApiError, forbidden
from itg.api.versioning import check_version
from itg.errors import NotFoundError
from itg.processes import queries
from itg.processes.visibility import PROCESS_NOT_FOUND
from itg.storage.cancel import CancelOutcome, request_cancel
from itg.storage.database import Database

ALREADY_FINISHED = "Process already finished"


def cancel_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def cancel_process(request: Request) -> Response:
        refuse_cross_origin(request)  # first, as for every POST (SPEC 1.1 "Browsers")
        principal, routes = await ctx.auth.identify(request)
        check_version(request)
        subunique = (query_value(request.scope, "subunique") or "").strip()
        if not subunique:
            raise ApiError(400, "subunique is required")
        process = await ctx.reads.run(_find, ctx.db, principal.company_id, subunique)
        if process.route not in routes:
            raise forbidden()
        outcome = await run_in_threadpool(request_cancel, ctx.db, process.id)
        if outcome is CancelOutcome.FINISHED:
            raise ApiError(409, ALREADY_FINISHED)
        if outcome is CancelOutcome.CANCELED:
            ctx.metrics.process_canceled(process.route)
        # The monitor body (SPEC 1.6) right after the cancel committed.
        body = await read_report(ctx, principal, subunique)
        return Response(body, media_type="application/json")

    return cancel_process


def _find(db: Database, company_id: int, subunique: str) -> queries.ProcessRow:
    with db.read() as conn:
        process = queries.by_subunique(conn, company_id, subunique)
    if process is None:
        raise NotFoundError(PROCESS_NOT_FOUND)
    return process


def cancel_route_openapi() -> dict[str, Any]:
    """Keyword arguments for `add_api_route` documenting POST /process/cancel."""
    return {
        "summary": "Cancel a process",
        "description": (
            "A `queued` process becomes `canceled` at once; a `processing` one stops at its "
            "next chunk boundary (committed chunks stay applied and reported; the rest is not "
            "applied). Needs the route of that process. The answer is the monitor body of "
            "`GET /process` at that moment, with `cancel_requested: true`."
        ),
        "tags": ["monitor"],
        "openapi_extra": {
            "parameters": [
                {
                    "name": "subunique",
                    "in": "query",
                    "description": "The process to cancel (trimmed; required)",
                    "required": True,
                    # Blank counts as not given (400 `subunique is required`).
                    "schema": {"type": "string", "pattern": r"\S", "examples": ["1f0c9a2e"]},
                },
                *version_parameters(),
            ]
        },
        "responses": {
            200: {
                "description": "Canceled, or cancel requested",
                "content": {
                    "application/json": {
                        "schema": monitor_schema(),
                        "example": {
                            "data": {"errors": []},
                            "company": "a133595",
                            "unique": "8dbf32bc",
                            "subunique": "1f0c9a2e",
                            "status": "canceled",
                            "progress": {"done": "0", "total": "3"},
                            "route": "people",
                            "created_at": "2026-11-28T16:00:00Z",
                            "finished_at": "2026-11-28T16:00:01Z",
                            "cancel_requested": True,
                        },
                    }
                },
            },
            **error_responses(
                {
                    400: (
                        "subunique not given, a malformed Authorization header or an "
                        "unsupported Accept-Version",
                        "subunique is required",
                    ),
                    403: (
                        "Cross-origin browser request, a disabled company, or the caller "
                        "lacks the process's route",
                        "Forbidden",
                    ),
                    404: ("Unknown id, or an id of another company", PROCESS_NOT_FOUND),
                    409: ("The process is already final", ALREADY_FINISHED),
                }
            ),
        },
    }
