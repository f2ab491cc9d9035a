"""GET /process (SPEC 1.6), the Integration Process Monitor: the body comes from itg.processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from itg.api.auth import Principal
from itg.api.context import ApiContext
from itg.api.raw import query_value
from itg.api.responses import ApiError
from itg.api.versioning import check_version
from itg.permissions import PROCESS_ROUTE
from itg.processes import report, window


def process_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def get_process(request: Request) -> Response:
        principal = await ctx.auth.authenticate(request, PROCESS_ROUTE)
        check_version(request)
        subunique = (query_value(request.scope, "subunique") or "").strip()
        unique = "" if subunique else (query_value(request.scope, "unique") or "").strip()
        if subunique:
            body = ctx.finished_reports.body(principal.company_id, subunique)
            if body is None:
                body = await read_report(ctx, principal, subunique)
        elif unique:
            # Read and checked (404/410) before the first byte; then streamed from storage in
            # batches, so the window's size does not decide the server's memory (SPEC 1.6).
            stream = await ctx.reads.run(
                window.open_unique,
                ctx.db,
                ctx.settings,
                principal.company_id,
                principal.company_code,
                unique,
            )
            return StreamingResponse(
                ctx.reads.iterate(stream.chunks()), media_type="application/json"
            )
        else:
            raise ApiError(400, "subunique is required")
        return Response(body, media_type="application/json")

    return get_process


async def read_report(ctx: ApiContext, principal: Principal, subunique: str) -> bytes:
    """The monitor body of one process, read from storage (404/410 raised as in SPEC 1.6)."""
    return await ctx.reads.run(
        report.report_subunique,
        ctx.db,
        ctx.settings,
        principal.company_id,
        principal.company_code,
        subunique,
        ctx.finished_reports,
    )
