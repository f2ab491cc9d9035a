"""A request's header and query values read straight from its ASGI scope.

Starlette's `request.headers` and `request.query_params` build a whole parsed view of every
header or parameter to hand out one value; on the hot routes (itg/api/hot.py) that costs more
than the answer itself. These give the same value Starlette would, for one name.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first header `name` (lowercase, as ASGI servers pass names), latin-1 decoded, as
    `request.headers.get(name)` gives it."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def query_value(scope: Scope, name: str) -> str | None:
    """The last value of query parameter `name`, as `request.query_params.get(name)` gives it.

    A query with no escapes (`%`, `+`) reads the same split by hand as through `parse_qsl`
    (fields split on `&`, a field without `=` has the empty value); any other goes through
    Starlette's own parser.
    """
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    if "%" in query or "+" in query:
        return QueryParams(query).get(name)
    found = None
    for field in query.split("&"):
        key, _, value = field.partition("=")
        if key == name:
            found = value
    return found
