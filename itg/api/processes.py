"""GET /processes (SPEC 1.7): the company's processes, newest first, cursor-paginated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from itg import listing
from itg.api.context import ApiContext
from itg.api.openapi import PROGRESS_SCHEMA, error_responses
from itg.api.responses import ApiError, json_response
from itg.api.versioning import check_version
from itg.errors import UsageError
from itg.permissions import PROCESS_ROUTE, WRITE_ROUTES
from itg.storage.schema import STATUSES
from itg.timeutil import iso


def processes_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def list_processes(request: Request) -> Response:
        principal = await ctx.auth.authenticate(request, PROCESS_ROUTE)
        check_version(request)
        query = parse_list_query(request)
        page = await run_in_threadpool(
            listing.list_processes, ctx.db, ctx.settings, principal.company_id, query
        )
        return json_response(
            {
                "processes": [summary_json(process) for process in page.processes],
                "next_cursor": page.next_cursor,
            }
        )

    return list_processes


def parse_list_query(request: Request) -> listing.ListQuery:
    """The listing parameters of the query string; a refused one is a 400."""
    try:
        return listing.parse_query(request.query_params)
    except UsageError as exc:
        raise ApiError(400, str(exc)) from None


def summary_json(process: listing.ProcessSummary) -> dict[str, Any]:
    return {
        "subunique": process.subunique,
        "unique": process.unique,
        "route": process.route,
        "status": process.status,
        "progress": {"done": str(process.done), "total": str(process.total)},
        "errors": process.failed,
        "created_at": iso(process.created_at),
        "finished_at": iso(process.finished_at),
    }


def processes_route_openapi() -> dict[str, Any]:
    """Keyword arguments for `add_api_route` documenting GET /processes."""
    process_schema = {
        "type": "object",
        "properties": {
            "subunique": {"type": "string"},
            "unique": {"type": "string"},
            "route": {"type": "string", "enum": list(WRITE_ROUTES)},
            "status": {"type": "string", "enum": list(STATUSES)},
            "progress": PROGRESS_SCHEMA,
            "errors": {"type": "integer", "description": "Records failed so far"},
            "created_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    return {
        "summary": "List the company's processes",
        "description": (
            "The company's processes (write requests), newest first (acceptance order), "
            "including expired ones until they are purged. `errors` counts the failed records. "
            "Pass `next_cursor` as `cursor` to read the next page; it is `null` on the last "
            "page. Filters combine; a blank parameter counts as not given."
        ),
        "tags": ["monitor"],
        "openapi_extra": {
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(STATUSES)},
                },
                {
                    "name": "route",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(WRITE_ROUTES)},
                },
                {
                    "name": "since",
                    "in": "query",
                    "description": "ISO 8601 time (an offset or `Z`; none means UTC): "
                    "processes created at or after it",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": listing.MAX_LIMIT,
                        "default": listing.DEFAULT_LIMIT,
                    },
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "description": "The previous page's `next_cursor` (opaque)",
                    "schema": {"type": "string"},
                },
                {"name": "Accept-Version", "in": "header", "schema": {"type": "string"}},
            ]
        },
        "responses": {
            200: {
                "description": "One page of processes",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "processes": {"type": "array", "items": process_schema},
                                "next_cursor": {"type": ["string", "null"]},
                            },
                        },
                        "example": {
                            "processes": [
                                {
                                    "subunique": "1f0c9a2e",
                                    "unique": "8dbf32bc",
                                    "route": "people",
                                    "status": "warning",
                                    "progress": {"done": "3", "total": "3"},
                                    "errors": 1,
                                    "created_at": "2026-11-28T16:00:00Z",
                                    "finished_at": "2026-11-28T16:00:01Z",
                                }
                            ],
                            "next_cursor": None,
                        },
                    }
                },
            },
            **error_responses(
                {
                    400: (
                        f"`{listing.STATUS_MESSAGE}`, `{listing.ROUTE_MESSAGE}`, "
                        f"`{listing.SINCE_MESSAGE}`, `{listing.LIMIT_MESSAGE}`, "
                        f"`{listing.CURSOR_MESSAGE}`, a malformed Authorization header or an "
                        "unsupported Accept-Version",
                        listing.LIMIT_MESSAGE,
                    ),
                }
            ),
        },
    }
