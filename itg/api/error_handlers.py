"""The one place where errors become HTTP answers, all shaped
{"error":{"code","message"},"code","message"} by `error_response` (SPEC 1.2).

`ApiError` (a refusal of the HTTP edge itself) carries its own status; the domain's errors
get theirs from `STATUS_OF`, matched by class or nearest listed ancestor (Starlette looks
handlers up along the MRO). Anything else reaching here is a bug: logged with its traceback
and answered 500 without details.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from itg.api.responses import ApiError, error_response
from itg.errors import (
    ConfigError,
    ConflictError,
    ItgError,
    LeaseLostError,
    NotFoundError,
    ProcessExpiredError,
    UsageError,
)

log = logging.getLogger("itg.api")

INTERNAL_ERROR = "Internal Server Error"

# One row per error class of itg/errors.py (a test keeps the two in step); a new error class
# gets its row here. A 5xx row is a server fault: it takes the path of any unexpected error
# (logged, "Internal Server Error"), its text is never sent.
STATUS_OF: Mapping[type[ItgError], int] = {
    UsageError: 400,  # a refused query parameter or cursor (GET /processes, the dashboard)
    NotFoundError: 404,  # an unknown process (SPEC 1.6)
    ConflictError: 409,  # raised by the CLI's admin commands only, today
    ProcessExpiredError: 410,  # a process past its validity (SPEC 1.6)
    ConfigError: 500,
    LeaseLostError: 500,  # the worker's own
}

Handler = Callable[[Request, Exception], Awaitable[Response]]


def install_error_handlers(app: FastAPI) -> None:
    """Every non-2xx answer has the body {"error":{"code","message"},"code","message"}
    (SPEC 1.2)."""
    app.add_exception_handler(ApiError, _api_error)
    for error, status in STATUS_OF.items():
        if status < 500:
            app.add_exception_handler(error, _answer(status))
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal)


def _answer(status: int) -> Handler:
    async def domain_error(_request: Request, exc: Exception) -> Response:
        return error_response(status, str(exc))

    return domain_error


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (an unknown path, a wrong method) keep their standard phrase."""
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, HTTPStatus(exc.status_code).phrase, exc.headers)


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL_ERROR)
