"""GET /dashboard (SPEC 5): the company's processes as a web page, and one process's errors.

Server-rendered with Jinja2 (autoescaped), so the first answer already holds the rows; a few
lines of inline JavaScript re-fetch the same URL and swap the `#live` region while anything
shown is unfinished. No build step and no external resource: the page's Content-Security-Policy
allows only its own nonce-tagged style and script, and requests to this server.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from itg.api.auth import Principal
from itg.api.context import ApiContext
from itg.api.openapi import error_responses
from itg.api.processes import parse_list_query
from itg.outcomes import STATUSES
from itg.permissions import PROCESS_ROUTE, write_routes
from itg.processes import listing
from itg.storage import webhooks
from itg.storage.schema import WEBHOOK_PENDING
from itg.timeutil import iso

ACTIVE_POLL_MS = 1000  # while something shown is unfinished
IDLE_POLL_MS = 5000  # first page, all finished: look for new processes now and then


def register_dashboard(app: FastAPI, ctx: ApiContext) -> None:
    """Add GET /dashboard and GET /dashboard/process/{subunique} to the app."""
    pages = DashboardPages(ctx)
    app.add_api_route(
        "/dashboard",
        pages.processes,
        methods=["GET"],
        response_class=HTMLResponse,
        summary="Dashboard: the company's processes",
        description=(
            "A web page for people (HTTP Basic, so a browser asks for the credentials of a "
            "service user with the `process` route): the company's processes newest first, "
            "filtered by `status` and `route`, paged with `cursor` like `GET /processes`; it "
            "refreshes itself while a listed process is unfinished."
        ),
        tags=["dashboard"],
        responses=error_responses(
            {
                400: (
                    "A refused filter or cursor (the messages of `GET /processes`), or a "
                    "malformed Authorization header",
                    "Invalid cursor",
                )
            }
        ),
    )
    app.add_api_route(
        "/dashboard/process/{subunique}",
        pages.process,
        methods=["GET"],
        response_class=HTMLResponse,
        summary="Dashboard: one process and its error table",
        description="Readable exactly when `GET /process?subunique=` is (404, 410 otherwise).",
        tags=["dashboard"],
        openapi_extra={
            "parameters": [
                {"name": "subunique", "in": "path", "required": True, "schema": {"type": "string"}}
            ]
        },
        responses=error_responses(
            {
                404: ("Unknown id, or an id of another company", "Process not found"),
                410: ("Past ITG_VALIDITY_SECONDS after it finished", "Process expired"),
            }
        ),
    )


class DashboardPages:
    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx
        self._env = Environment(
            loader=PackageLoader("itg.api", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["iso"] = iso
        self._env.filters["when"] = _when

    async def processes(self, request: Request) -> Response:
        principal = await self._ctx.auth.authenticate(request, PROCESS_ROUTE)
        query = parse_list_query(request)
        params = dict(request.query_params)
        return await run_in_threadpool(self._processes_page, principal, query, params)

    async def process(self, request: Request) -> Response:
        principal = await self._ctx.auth.authenticate(request, PROCESS_ROUTE)
        subunique = request.path_params["subunique"]
        return await run_in_threadpool(self._process_page, principal, subunique)

    def _processes_page(
        self, principal: Principal, query: listing.ListQuery, params: Mapping[str, str]
    ) -> Response:
        page = listing.list_processes(self._ctx.db, self._ctx.settings, principal.company_id, query)
        unfinished = sum(1 for process in page.processes if not process.finished)
        if unfinished:
            poll_ms = ACTIVE_POLL_MS
        elif query.after is None:
            poll_ms = IDLE_POLL_MS
        else:
            poll_ms = 0  # an older page: nothing new can appear on it
        kept = {
            name: value.strip()
            for name, value in params.items()
            if name in ("status", "route", "since", "limit") and value.strip()
        }
        return self._render(
            "processes.html",
            principal,
            processes=page.processes,
            unfinished=unfinished,
            poll_ms=poll_ms,
            status=query.filters.status,
            route=query.filters.route,
            statuses=STATUSES,
            routes=write_routes(),
            kept=kept,
            newest_url=_url(kept) if query.after is not None else None,
            older_url=_url({**kept, "cursor": page.next_cursor}) if page.next_cursor else None,
        )

    def _process_page(self, principal: Principal, subunique: str) -> Response:
        detail = listing.process_detail(
            self._ctx.db, self._ctx.settings, principal.company_id, subunique
        )
        # Its completion webhooks (SPEC 1.12): one event per endpoint once it has finished.
        deliveries = webhooks.deliveries_of_request(self._ctx.db, detail.process.id)
        if not detail.process.finished:
            poll_ms = ACTIVE_POLL_MS
        elif any(event.status == WEBHOOK_PENDING for event in deliveries):
            poll_ms = IDLE_POLL_MS  # finished; its deliveries are still being tried
        else:
            poll_ms = 0
        return self._render(
            "process.html",
            principal,
            process=detail.process,
            errors=detail.errors,
            deliveries=deliveries,
            poll_ms=poll_ms,
            active_poll_ms=ACTIVE_POLL_MS,
        )

    def _render(self, template: str, principal: Principal, **context: Any) -> Response:
        nonce = secrets.token_urlsafe(16)
        html = self._env.get_template(template).render(
            nonce=nonce,
            company=principal.company_code,
            username=principal.username,
            **context,
        )
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": (
                    f"default-src 'none'; script-src 'nonce-{nonce}'; "
                    f"style-src 'nonce-{nonce}'; connect-src 'self'; img-src data:; "
                    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
                ),
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )


def _url(params: Mapping[str, str]) -> str:
    return f"/dashboard?{urlencode(params)}" if params else "/dashboard"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
