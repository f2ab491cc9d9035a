"""The app factory: builds the FastAPI application from Settings (nothing at import time).

HTTP only: the database, the metrics and any embedded workers belong to the caller
(`itg serve`, itg/cli/server.py), which hands the app what the routes share with them.
"""

from __future__ import annotations

import threading

from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute

from itg import __version__
from itg.api.auth import Authenticator
from itg.api.context import ApiContext
from itg.api.dashboard import register_dashboard
from itg.api.error_handlers import install_error_handlers
from itg.api.intake import write_endpoint
from itg.api.monitor import process_endpoint
from itg.api.openapi import ItgApp, process_route_openapi, write_route_openapi
from itg.api.paths import LenientPaths
from itg.api.probes import healthz_endpoint, metrics_endpoint
from itg.api.processes import processes_endpoint, processes_route_openapi
from itg.metrics import Metrics
from itg.processes.report import FinishedReports
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage.database import Database


def create_app(
    settings: Settings,
    db: Database,
    *,
    metrics: Metrics | None = None,
    wakeup: threading.Event | None = None,
) -> FastAPI:
    """The API over `db` (opened and disposed of by the caller).

    `metrics` are this process's counters, shared with embedded workers (SPEC 1.7); `wakeup`
    is set after each accepted request so that idle embedded workers look at once (their
    pool's event). Without them (API-only, tests), the app keeps counters and an event of its
    own.
    """
    ctx = ApiContext(
        settings=settings,
        db=db,
        auth=Authenticator(db, settings.credential_cache_seconds),
        wakeup=threading.Event() if wakeup is None else wakeup,
        finished_reports=FinishedReports(),
        metrics=Metrics(SERVICES) if metrics is None else metrics,
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
    app.add_api_route("/process", process_endpoint(ctx), methods=["GET"], **process_route_openapi())
    app.add_api_route(
        "/processes", processes_endpoint(ctx), methods=["GET"], **processes_route_openapi()
    )
    register_dashboard(app, ctx)
    app.add_api_route("/healthz", healthz_endpoint(ctx), methods=["GET"], tags=["operations"])
    app.add_api_route(
        "/metrics",
        metrics_endpoint(ctx),
        methods=["GET"],
        tags=["operations"],
        response_class=PlainTextResponse,
    )
    install_error_handlers(app)
    # Last, so that it knows every route, FastAPI's own /docs and /openapi.json included.
    app.add_middleware(LenientPaths, paths=_route_paths(app.routes))
    return app


def _route_paths(routes: list[BaseRoute]) -> list[str]:
    paths = (getattr(route, "path", None) for route in routes)
    return [path for path in paths if isinstance(path, str)]
