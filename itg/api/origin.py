"""The same-origin rule for browser writes (SPEC 1.1 "Browsers", SPEC 1.4 check 1).

A browser that holds a dashboard user's Basic credentials sends them on any request to this
server, also on a form another site submits (JSON fits in a plain HTML form, and
`Content-Type` is not checked). Browsers mark such requests with `Origin` (every POST) and
`Sec-Fetch-Site`; API clients send neither. No CORS header is ever sent, so a page of another
origin cannot read any answer either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.requests import Request

from itg.api.responses import ApiError

CROSS_ORIGIN_MESSAGE = "Cross-origin request refused"
DEFAULT_PORTS = {"http": 80, "https": 443}

# host[:port] as in `Host` (RFC 9110 7.2) and in a serialized origin: a reg-name or IPv4
# address, or an IPv6 literal in brackets; no user info, path, query or fragment.
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Za-z:.%]+\]|[^\[\]:/?#@\s]+)(?::(?P<port>[0-9]{0,5}))?")
_ORIGIN = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>.*)")

Origin = tuple[str, str, int]


def _origin(scheme: str, authority: str) -> Origin | None:
    """(scheme, host, port) with the default port filled in; None when it is not one."""
    match = _AUTHORITY.fullmatch(authority)
    scheme = scheme.lower()
    if match is None:
        return None
    port = match["port"]
    if port:
        return scheme, match["host"].lower(), int(port)
    if scheme not in DEFAULT_PORTS:
        return None
    return scheme, match["host"].lower(), DEFAULT_PORTS[scheme]


def _serialized_origin(value: str) -> Origin | None:
    """An `Origin` header value (RFC 6454 7); `null` and anything unparsable give None."""
    match = _ORIGIN.fullmatch(value.strip())
    return None if match is None else _origin(match["scheme"], match["authority"])


def is_cross_origin(
    scheme: str, host: str | None, origins: Sequence[str], fetch_sites: Sequence[str]
) -> bool:
    """Whether a request must be refused as coming from another site's page.

    `scheme` is the request's own (https behind a proxy that says so, see uvicorn's
    --proxy-headers), `host` its `Host` header, `origins` and `fetch_sites` every value of
    `Origin` and `Sec-Fetch-Site`. An `Origin` that is not exactly the request's own origin
    (`null`, an unparsable value, another scheme, host or port) is another origin.
    """
    if any(site.strip().lower() == "cross-site" for site in fetch_sites):
        return True
    if not origins:
        return False
    own = None if host is None else _origin(scheme, host.strip())
    return own is None or any(_serialized_origin(origin) != own for origin in origins)


def refuse_cross_origin(request: Request) -> None:
    """403 `Cross-origin request refused` before credentials or the body are looked at."""
    headers = request.headers
    if is_cross_origin(
        request.scope.get("scheme", "http"),
        headers.get("host"),
        headers.getlist("origin"),
        headers.getlist("sec-fetch-site"),
    ):
        raise ApiError(403, CROSS_ORIGIN_MESSAGE)
