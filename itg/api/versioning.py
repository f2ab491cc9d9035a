"""The Accept-Version check of SPEC 1.3."""

from __future__ import annotations

from starlette.requests import Request

from itg.api.responses import ApiError


def check_version(request: Request) -> None:
    """Header wins over the query parameter; absent or blank means v2; only v2 is served."""
    value = request.headers.get("accept-version")
    if value is None:
        value = request.query_params.get("Accept-Version")
    value = (value or "").strip()
    if value and value.lower() != "v2":
        raise ApiError(400, f"Unsupported Accept-Version: {value}")
