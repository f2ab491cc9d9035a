"""Route names a service user may be allowed, as SPEC 1.1 names them."""

from __future__ import annotations

from itg.errors import UsageError

WRITE_ROUTES: tuple[str, ...] = (
    "people",
    "absences",
    "paymentDate",
    "anticipate",
    "subsidiaries",
    "costcenter",
    "users",
)
PROCESS_ROUTE = "process"
ALL_ROUTES: tuple[str, ...] = (*WRITE_ROUTES, PROCESS_ROUTE)


def parse_routes(text: str) -> tuple[str, ...]:
    """`all` or a comma-separated list of route names, expanded and checked."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("--routes needs at least one route name")
    if "all" in names:
        return ALL_ROUTES
    unknown = [name for name in names if name not in ALL_ROUTES]
    if unknown:
        raise UsageError(f"unknown route name {unknown[0]!r} (use all or {', '.join(ALL_ROUTES)})")
    return tuple(name for name in ALL_ROUTES if name in names)
