"""Route names a service user may be allowed, as SPEC 1.1 names them.

The write routes are the registry's (itg/services/registry.py), read at each call: the
registry is the one declared list of routes, so a route added there is also one a user may
be allowed, a client may send to and the monitor may filter on.
"""

from __future__ import annotations

from itg.errors import UsageError
from itg.services.registry import SERVICES

PROCESS_ROUTE = "process"


def write_routes() -> tuple[str, ...]:
    """The write routes, in the registry's order (that of SPEC 1.1)."""
    return tuple(SERVICES)


def all_routes() -> tuple[str, ...]:
    """Every route a user may be allowed: the write routes and the monitor."""
    return (*write_routes(), PROCESS_ROUTE)


def parse_routes(text: str) -> tuple[str, ...]:
    """`all` or a comma-separated list of route names, expanded and checked."""
    known = all_routes()
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("--routes needs at least one route name")
    if "all" in names:
        return known
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown route name {unknown[0]!r} (use all or {', '.join(known)})")
    return tuple(name for name in known if name in names)
