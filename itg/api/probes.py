"""GET /healthz and GET /metrics (SPEC 1.7): what probes and scrapers read, no credentials."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.responses import error_response, json_response
from itg.metrics import CONTENT_TYPE, depth_or_none
from itg.storage.metrics import queue_depth

STORAGE_UNREACHABLE = "Storage unreachable"


def healthz_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def healthz(request: Request) -> Response:
        try:
            await ctx.reads.run(ctx.db.ping)
        except Exception:
            return error_response(503, STORAGE_UNREACHABLE)
        return json_response({"status": "ok"})

    return healthz


def metrics_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics, no credentials (like /healthz): Prometheus text of the counters of
    every itg process of the host (multiprocess mode; see itg.metrics) and the queue depth of
    the shared database."""

    def scrape() -> str:
        # On a read thread: the depth is a query, and the merge reads the metrics files.
        return ctx.metrics.render(depth_or_none(lambda: queue_depth(ctx.db)))

    async def metrics(request: Request) -> Response:
        return Response(await ctx.reads.run(scrape), media_type=CONTENT_TYPE)

    return metrics
