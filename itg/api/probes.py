"""GET /healthz and GET /metrics (SPEC 1.7): what probes and scrapers read, no credentials."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from itg.api.context import ApiContext
from itg.api.responses import error_response, json_response
from itg.metrics import CONTENT_TYPE
from itg.storage.metrics import queue_depth

log = logging.getLogger("itg.api")


def healthz_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    def probe() -> None:
        with ctx.db.read() as conn:
            conn.execute(text("SELECT 1"))

    async def healthz(request: Request) -> Response:
        try:
            await ctx.reads.run(probe)
        except Exception:
            return error_response(503, "Storage unreachable")
        return json_response({"status": "ok"})

    return healthz


def metrics_endpoint(ctx: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics, no credentials (like /healthz): Prometheus text of the counters of
    every itg process of the host (multiprocess mode; see itg.metrics) and the queue depth of
    the shared database."""

    def scrape() -> str:
        # On a read thread: the depth is a query, and the merge reads the metrics files.
        try:
            depth: dict[str, int] | None = queue_depth(ctx.db)
        except Exception:
            log.warning("metrics: storage unreachable, queue depth left out", exc_info=True)
            depth = None
        return ctx.metrics.render(depth)

    async def metrics(request: Request) -> Response:
        return Response(await ctx.reads.run(scrape), media_type=CONTENT_TYPE)

    return metrics
