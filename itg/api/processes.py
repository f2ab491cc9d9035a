"""GET /processes (SPEC 1.7): the company's processes, newest first, cursor-paginated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.openapi import (
    ID_PATTERN,
    PROGRESS_SCHEMA,
    STATUS_SCHEMA,
    TIME_SCHEMA,
    error_responses,
    route_schema,
    trimmed,
    version_parameters,
)
from itg.api.responses import json_response
from itg.api.versioning import check_version
from itg.outcomes import STATUSES
from itg.permissions import PROCESS_ROUTE, write_routes
from itg.processes import listing

# 1–4 ASCII digits whose value is 1–500 (listing._LIMIT_TEXT, MAX_LIMIT).
LIMIT_DIGITS = "0{0,3}[1-9]|0{0,2}[1-9][0-9]|0?[1-4][0-9]{2}|0?500"
BLANK_SCHEMA: dict[str, Any] = {"type": "string", "pattern": trimmed("")}


def processes_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def list_processes(request: Request) -> Response:
        principal = await ctx.auth.authenticate(request, PROCESS_ROUTE)
        check_version(request)
        query = parse_list_query(request)
        page = await run_in_threadpool(
            listing.list_processes, ctx.db, ctx.settings, principal.company_id, query
        )
        return json_response(listing.page_json(page))

    return list_processes


def parse_list_query(request: Request) -> listing.ListQuery:
    """The listing parameters of the query string; a refused one raises UsageError (a 400,
    itg/api/error_handlers.py)."""
    return listing.parse_query(request.query_params)


def processes_route_openapi() -> dict[str, Any]:
    """Keyword arguments for `add_api_route` documenting GET /processes.

    The filters are documented as `listing.parse_query` reads them: trimmed, blank = not given.
    """
    process_schema = {
        "type": "object",
        "required": [
            "subunique",
            "unique",
            "route",
            "status",
            "progress",
            "errors",
            "created_at",
            "finished_at",
        ],
        "properties": {
            "subunique": {"type": "string", "pattern": ID_PATTERN},
            "unique": {"type": "string", "pattern": ID_PATTERN},
            "route": route_schema(),
            "status": STATUS_SCHEMA,
            "progress": PROGRESS_SCHEMA,
            "errors": {"type": "integer", "minimum": 0, "description": "Records failed so far"},
            "created_at": TIME_SCHEMA,
            "finished_at": {**TIME_SCHEMA, "type": ["string", "null"]},
        },
        "additionalProperties": False,
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
                _filter("status", "One of the statuses", "|".join(STATUSES)),
                _filter("route", "A write route's name", "|".join(write_routes())),
                {
                    "name": "since",
                    "in": "query",
                    "description": "ISO 8601 time (an offset or `Z`; none means UTC): "
                    "processes created at or after it; blank = not given",
                    "schema": {"anyOf": [TIME_SCHEMA, BLANK_SCHEMA]},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "description": f"1–{listing.MAX_LIMIT} (1–4 digits, trimmed); "
                    "blank = the default",
                    "schema": {
                        "anyOf": [
                            {"type": "integer", "minimum": 1, "maximum": listing.MAX_LIMIT},
                            {"type": "string", "pattern": trimmed(LIMIT_DIGITS)},
                        ],
                        "default": listing.DEFAULT_LIMIT,
                    },
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "description": "The previous page's `next_cursor` (opaque); blank = not given",
                    "schema": {"type": "string"},
                },
                *version_parameters(),
            ]
        },
        "responses": {
            200: {
                "description": "One page of processes",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["processes", "next_cursor"],
                            "properties": {
                                "processes": {"type": "array", "items": process_schema},
                                "next_cursor": {"type": ["string", "null"]},
                            },
                            "additionalProperties": False,
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
                        f"`{listing.STATUS_MESSAGE}`, `{listing.route_message()}`, "
                        f"`{listing.SINCE_MESSAGE}`, `{listing.LIMIT_MESSAGE}`, "
                        f"`{listing.CURSOR_MESSAGE}`, a malformed Authorization header or an "
                        "unsupported Accept-Version",
                        listing.LIMIT_MESSAGE,
                    ),
                }
            ),
        },
    }


def _filter(name: str, description: str, alternatives: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": f"{description}, trimmed; blank = not given",
        "schema": {"type": "string", "pattern": trimmed(alternatives)},
    }
