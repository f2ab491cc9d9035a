"""The Accept-Version check of SPEC 1.3."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from itg.api.responses import ApiError

HEADER = b"accept-version"
PARAMETER = b"Accept-Version"


def as_sent(raw: bytes) -> str:
    """Text of raw header or parameter bytes: UTF-8 when valid, else latin-1.

    ASGI hands header values over latin-1 decoded, which would echo `vé` sent as UTF-8 as
    `vÃ©`; latin-1 decodes any bytes, so a refusal can always name the value.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header(request: Request) -> bytes | None:
    """The first Accept-Version header's raw bytes (as `request.headers.get` picks it)."""
    for name, value in request.scope.get("headers", ()):
        if name.lower() == HEADER:
            return bytes(value)
    return None


def _parameter(request: Request) -> bytes | None:
    """The last Accept-Version query parameter's bytes, percent-decoded (as Starlette's
    `query_params` picks it), before any character decoding."""
    found = None
    for pair in bytes(request.scope.get("query_string", b"")).split(b"&"):
        name, _, value = pair.partition(b"=")
        if unquote_to_bytes(name.replace(b"+", b" ")) == PARAMETER:
            found = unquote_to_bytes(value.replace(b"+", b" "))
    return found


def check_version(request: Request) -> None:
    """Header wins over the query parameter; absent or blank means v2; only v2 is served."""
    raw = _header(request)
    if raw is None:
        raw = _parameter(request)
    value = as_sent(raw or b"").strip()
    if value and value.lower() != "v2":
        raise ApiError(400, f"Unsupported Accept-Version: {value}")
