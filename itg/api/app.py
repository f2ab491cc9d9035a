"""The app factory: builds the FastAPI application from Settings (nothing at import time)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from itg import __version__
from itg.api.auth import Authenticator
from itg.api.context import ApiContext
from itg.api.dashboard import register_dashboard
from itg.api.intake import write_endpoint
from itg.api.monitor import healthz_endpoint, metrics_endpoint, process_endpoint
from itg.api.openapi import document_security, process_route_openapi, write_route_openapi
from itg.api.processes import processes_endpoint, processes_route_openapi
from itg.api.record_docs import ROUTE_DOCS
from itg.api.responses import ApiError, error_response
from itg.errors import NotFoundError, ProcessExpiredError
from itg.metrics import Metrics
from itg.monitor import FinishedReports
from itg.services.registry import SERVICES
from itg.settings import Settings
from itg.storage.database import Database, open_database
from itg.worker import WorkerPool

log = logging.getLogger("itg.api")


def create_app(settings: Settings, db: Database | None = None, *, workers: int = 0) -> FastAPI:
    """The API; with `workers` > 0 it also runs that many embedded worker threads."""
    database = db or open_database(settings)
    metrics = Metrics(SERVICES)
    pool = WorkerPool(database, settings, workers, metrics) if workers else None
    ctx = ApiContext(
        settings=settings,
        db=database,
        auth=Authenticator(database, settings.credential_cache_seconds),
        wakeup=pool.wakeup if pool else threading.Event(),
        finished_reports=FinishedReports(),
        metrics=metrics,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if pool:
            pool.start()
        try:
            yield
        finally:
            if pool:
                pool.shutdown()
            if db is None:
                database.dispose()

    app = FastAPI(
        title="itg — PontoWeb ITG2.0 integration API",
        version=__version__,
        lifespan=lifespan,
        # `/people/` is an unknown path (404, SPEC 1.1), not a 307 without the error body of
        # SPEC 1.2; clients post to the exact paths of the public API.
        redirect_slashes=False,
    )
    app.state.ctx = ctx
    for service in SERVICES.values():
        app.add_api_route(
            f"/{service.route}",
            write_endpoint(ctx, service),
            methods=["POST"],
            **write_route_openapi(
                ROUTE_DOCS[service.route],
                service.accepted_message,
                settings.max_records,
            ),
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
    _install_error_handlers(app)
    document_security(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    """Every non-2xx answer has the body {"error":{"code","message"}} (SPEC 1.2)."""

    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.headers)

    async def not_found(_request: Request, exc: Exception) -> Response:
        return error_response(404, str(exc))

    async def expired(_request: Request, exc: Exception) -> Response:
        return error_response(410, str(exc))

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "Internal Server Error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(ProcessExpiredError, expired)
    app.add_exception_handler(Exception, internal)
