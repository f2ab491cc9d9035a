"""GET /process (the Integration Process Monitor) and GET /healthz."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from itg import monitor
from itg.api.context import ApiContext
from itg.api.responses import ApiError, error_response, json_response
from itg.api.versioning import check_version
from itg.permissions import PROCESS_ROUTE


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
            body = await run_in_threadpool(
                monitor.report_unique,
                ctx.db,
                ctx.settings,
                principal.company_id,
                principal.company_code,
                unique,
            )
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
