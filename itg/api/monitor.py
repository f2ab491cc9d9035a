"""GET /process (the Integration Process Monitor), GET /healthz and GET /metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from itg import monitor
from itg.api.context import ApiContext
from itg.api.responses import ApiError, error_response, json_response
from itg.api.versioning import check_version
from itg.metrics import CONTENT_TYPE
from itg.permissions import PROCESS_ROUTE
from itg.storage.metrics import queue_depth

log = logging.getLogger("itg.api")


def process_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def get_process(request: Request) -> Response:
        principal = await ctx.auth.authenticate(request, PROCESS_ROUTE)
        check_version(request)
        subunique = request.query_params.get("subunique", "").strip()
        unique = request.query_params.get("unique", "").strip()
        if subunique:
            body = ctx.finished_reports.body(principal.company_id, subunique, ctx.settings)
            if body is None:
                body = await run_in_threadpool(
                    monitor.report_subunique,
                    ctx.db,
                    ctx.settings,
                    principal.company_id,
                    principal.company_code,
                    subunique,
                    ctx.finished_reports,
                )
        elif unique:
            # Read and checked (404/410) before the first byte; then streamed from storage in
            # batches, so the window's size does not decide the server's memory (SPEC 1.6).
            report = await run_in_threadpool(
                monitor.open_unique,
                ctx.db,
                ctx.settings,
                principal.company_id,
                principal.company_code,
                unique,
            )
            return StreamingResponse(report.chunks(), media_type="application/json")
        else:
            raise ApiError(400, "subunique is required")
        return Response(body, media_type="application/json")

    return get_process


def healthz_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    def probe() -> None:
        with ctx.db.read() as conn:
            conn.execute(text("SELECT 1"))

    async def healthz(request: Request) -> Response:
        try:
            await run_in_threadpool(probe)
        except Exception:
            return error_response(503, "Storage unreachable")
        return json_response({"status": "ok"})

    return healthz


def metrics_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics, no credentials (like /healthz): Prometheus text of this process's
    counters (see itg.metrics) and the queue depth of the shared database."""

    async def metrics(request: Request) -> Response:
        try:
            depth: dict[str, int] | None = await run_in_threadpool(queue_depth, ctx.db)
        except Exception:
            log.warning("metrics: storage unreachable, queue depth left out", exc_info=True)
            depth = None
        return Response(ctx.metrics.render(depth), media_type=CONTENT_TYPE)

    return metrics
