"""The app factory: builds the FastAPI application from Settings (nothing at import time).

HTTP only: the database, the metrics and any embedded workers belong to the caller
(`itg serve`, itg/cli/server.py), which hands the app what the routes share with them.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from itg import __version__
from itg.api.auth import Authenticator
from itg.api.cancel import cancel_endpoint, cancel_route_openapi
from itg.api.context import ApiContext
from itg.api.dashboard import register_dashboard
from itg.api.error_handlers import install_error_handlers
from itg.api.hooks import NO_INTAKE_HOOKS, IntakeHooks
from itg.api.hot import HotRoutes
from itg.api.intake import write_endpoint
from itg.api.monitor import process_endpoint
from itg.api.openapi import declare_basic_auth, process_route_openapi, write_route_openapi
from itg.api.paths import LenientPaths
from itg.api.probes import healthz_endpoint, metrics_endpoint
from itg.api.processes import processes_endpoint, processes_route_openapi
from itg.api.rate_limit import RateLimiter
from itg.api.readiness import Readiness, readyz_endpoint, readyz_route_openapi
from itg.api.reads import ReadThreads
from itg.api.request_id import request_id_of, with_request_id
from itg.logs import REQUEST_ID
from itg.metrics import Metrics
from itg.processes.report import FinishedReports
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.intake import GroupCommit


class ItgApp(FastAPI):
    """FastAPI with HTTP Basic declared in its document, and a front door.

    The front door (set by `create_app`) is what a server calls: lenient paths
    (itg/api/paths.py) then the hot read routes (itg/api/hot.py), then FastAPI's own handling
    (`framework`) for everything else.
    """

    front: ASGIApp | None = None

    def openapi(self) -> dict[str, Any]:
        return declare_basic_auth(super().openapi())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Every HTTP answer carries its request id, and every line logged for the request
            # has it (SPEC 1.7); the hot routes pay one context variable and one header.
            request_id = request_id_of(scope)
            REQUEST_ID.set(request_id)  # this request's task's own context: no reset needed
            send = with_request_id(send, request_id)
        if self.front is None:
            await self.framework(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own handling: its middleware stack and router."""
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    db: Database,
    *,
    metrics: Metrics | None = None,
    wakeup: threading.Event | None = None,
    intake_hooks: IntakeHooks = NO_INTAKE_HOOKS,
    readiness: Readiness | None = None,
) -> FastAPI:
    """The API over `db` (opened and disposed of by the caller).

    `metrics` are this process's counters, shared with embedded workers (SPEC 1.7); `wakeup`
    is set after each accepted request so that idle embedded workers look at once (their
    pool's event). Without them (API-only, tests), the app keeps counters and an event of its
    own.
    """
    reads = ReadThreads(db)
    ctx = ApiContext(
        settings=settings,
        db=db,
        auth=Authenticator(db, settings.credential_cache_seconds, reads=reads),
        reads=reads,
        wakeup=threading.Event() if wakeup is None else wakeup,
        finished_reports=FinishedReports(),
        metrics=Metrics(SERVICES) if metrics is None else metrics,
        # SQLite has one writer at a time: there, concurrent accepts share a commit (one
        # fsync). PostgreSQL keeps one transaction per request, concurrent across companies.
        intake=GroupCommit(db) if db.is_sqlite else None,
        rate_limiter=RateLimiter(settings.rate_per_second),
        intake_hooks=intake_hooks,
    )
    app = ItgApp(
        title="itg — PontoWeb ITG2.0 integration API",
        version=__version__,
        # No redirect, ever (SPEC 1.1): `/people/` is served where it arrived, by LenientPaths
        # (a client following a 307 may drop the POST's body).
        redirect_slashes=False,
    )
    app.state.ctx = ctx
    for service in SERVICES.values():
        app.add_api_route(
            f"/{service.route}",
            write_endpoint(ctx, service),
            methods=["POST"],
            **write_route_openapi(service.doc, service.accepted_message, settings.max_records),
        )
    # The hot read routes: registered for the document and the router's 405, their GETs
    # served by HotRoutes (below).
    hot = {
        "/process": process_endpoint(ctx),
        "/healthz": healthz_endpoint(ctx),
        "/metrics": metrics_endpoint(ctx),
        # `itg serve` drains through `readiness` on SIGTERM; without one, nothing drains.
        "/readyz": readyz_endpoint(ctx, Readiness() if readiness is None else readiness),
    }
    app.add_api_route("/process", hot["/process"], methods=["GET"], **process_route_openapi())
    app.add_api_route(
        "/process/cancel", cancel_endpoint(ctx), methods=["POST"], **cancel_route_openapi()
    )
    app.add_api_route(
        "/processes", processes_endpoint(ctx), methods=["GET"], **processes_route_openapi()
    )
    register_dashboard(app, ctx)
    app.add_api_route("/healthz", hot["/healthz"], methods=["GET"], tags=["operations"])
    app.add_api_route("/readyz", hot["/readyz"], methods=["GET"], **readyz_route_openapi())
    app.add_api_route(
        "/metrics",
        hot["/metrics"],
        methods=["GET"],
        tags=["operations"],
        response_class=PlainTextResponse,
    )
    install_error_handlers(app)
    # Last, so that LenientPaths knows every route, FastAPI's own /docs and /openapi.json
    # included; HotRoutes sees the canonical paths it makes.
    hot_routes = HotRoutes(app.framework, routes=hot, handlers=app.exception_handlers)
    app.front = LenientPaths(hot_routes, paths=_route_paths(app.routes))
    return app


def _route_paths(routes: list[BaseRoute]) -> list[str]:
    paths = (getattr(route, "path", None) for route in routes)
    return [path for path in paths if isinstance(path, str)]
