"""The hot read routes (`/process`, `/healthz`, `/readyz`, `/metrics`) served in front of
FastAPI (issue 10, SPEC 6.1's monitor row).

Through FastAPI a request costs about 40 µs of Python before and around its handler (native
telemetry's per-request check, five middleware layers, a router scan of every route, the
request/response wrappers, dependency solving, an exit stack): more than reading a finished
report from the cache. These handlers need none of it: they read the raw request and return
a ready `Response`. So `HotRoutes`, a pure ASGI app in front of FastAPI (behind `LenientPaths`
only, so it sees canonical paths), answers their GETs itself.

What FastAPI would have done is kept: the routes stay registered (the OpenAPI document
describes them, and another method still gets the router's 405); the errors they raise get
the very handlers `install_error_handlers` registered (SPEC 1.2), looked up along the class
hierarchy as Starlette's ExceptionMiddleware does; and an unexpected error takes the path of
Starlette's ServerErrorMiddleware: the app's catch-all handler logs it and answers 500 (unless
the answer had started), then the error is raised on to the server.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
# An entry of `app.exception_handlers` (Starlette types its values loosely: HTTP or websocket)
Handler = Callable[..., Any]

# What FastAPI serves for a GET route (unlike Starlette's Route, not HEAD): any other method
# goes on to the router, which answers 405.
SERVED_METHOD = "GET"


class HotRoutes:
    """ASGI app: a GET of `routes` (canonical path → handler) answered directly, anything else
    handed to `app` (FastAPI's own stack).

    `handlers` is the app's exception handler table (`app.exception_handlers`, read at each
    error so that it holds whatever was installed): `Exception`'s entry is the catch-all that
    FastAPI gives its ServerErrorMiddleware, the others are what its ExceptionMiddleware uses.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Mapping[str, Endpoint],
        handlers: Mapping[Any, Handler],
    ) -> None:
        self.app = app
        self.routes = dict(routes)
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == SERVED_METHOD:
            endpoint = self.routes.get(scope["path"])
            if endpoint is not None:
                await self._serve(endpoint, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        request = Request(scope, receive, send)
        try:
            try:
                response = await endpoint(request)
            except Exception as exc:
                handler = self._handler(exc)
                if handler is None:
                    raise
                response = await _call(handler, request, exc)
            await response(scope, receive, sender)
        except Exception as exc:
            # ServerErrorMiddleware's path: logged by the catch-all handler, a 500 if nothing
            # was sent yet, and raised on (the server logs it too, a test client re-raises it).
            internal = self.handlers.get(Exception)
            if internal is not None:
                answer = await _call(internal, request, exc)
                if not started:
                    await answer(scope, receive, send)
            raise

    def _handler(self, exc: Exception) -> Handler | None:
        """The handler of `exc`'s class or nearest ancestor below `Exception` (the catch-all)."""
        for cls in type(exc).__mro__:
            if cls is Exception:
                return None
            handler = self.handlers.get(cls)
            if handler is not None:
                return handler
        return None


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    """A handler's answer, called as Starlette calls it (a plain function in a thread)."""
    if inspect.iscoroutinefunction(handler):
        answer = await handler(request, exc)
    else:
        answer = await run_in_threadpool(handler, request, exc)
    assert isinstance(answer, Response)  # itg's handlers (error_handlers.py) answer one
    return answer
