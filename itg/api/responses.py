"""JSON responses encoded with orjson, and the one error shape of SPEC 1.2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from itg.errors import ItgError


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def error_body(status_code: int, message: str) -> dict[str, Any]:
    """The one error shape of SPEC 1.2: enveloped (the public authentication page) and flat
    (the public cost center page) at once, with the same values, so a client written from
    either page reads it."""
    error = {"code": status_code, "message": message}
    return {"error": error, **error}


def error_response(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Every non-2xx answer of the app goes through here (itg/api/error_handlers.py)."""
    return json_response(error_body(status_code, message), status_code, headers)


class ApiError(ItgError):
    """A request-level refusal with its status, message and extra headers (the HTTP edge's
    own error; the domain's errors get their status from itg/api/error_handlers.py)."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers

    def response(self) -> Response:
        return error_response(self.status_code, self.message, self.headers)


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Basic realm="itg"'}


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", UNAUTHORIZED_HEADERS)


def forbidden() -> ApiError:
    return ApiError(403, "Forbidden")
