"""Lenient paths (SPEC 1.1): `/paymentdate`, `/PEOPLE/` and `//people` name their routes.

ERP connectors are written by hand, and a path is easy to mistype in ways that leave no doubt
which route was meant. Route names ignore case, repeated slashes count as one and one trailing
slash is ignored. No redirect is sent (many clients drop a POST's body when they follow one):
the request is served where it arrived, by rewriting the path the router sees to the route's
canonical spelling. A path that names no route after that is left as sent, so it is still 404,
and a route asked with the wrong method is still 405.

Path parameters (the subunique of `/dashboard/process/{subunique}`) keep their case: only the
route's own names are case-insensitive, not the ids in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

_SLASHES = re.compile(r"/{2,}")

# A template's segments: the canonical name of a fixed segment, or None for a parameter.
Template = tuple[str | None, ...]


class PathTable:
    """The canonical paths of an app's routes, looked up leniently."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._static: dict[str, str] = {}
        self._templates: dict[int, list[Template]] = {}
        exact: set[str] = set()
        for path in paths:
            segments = path.split("/")
            if any(segment.startswith("{") for segment in segments):
                template = tuple(
                    None if segment.startswith("{") else segment for segment in segments
                )
                self._templates.setdefault(len(segments), []).append(template)
            else:
                exact.add(path)
                self._static[path.lower()] = path
        self.exact: frozenset[str] = frozenset(exact)

    def canonical(self, path: str) -> str | None:
        """The route path `path` names leniently, or None when it names none."""
        squeezed = _SLASHES.sub("/", path)
        if len(squeezed) > 1 and squeezed.endswith("/"):
            squeezed = squeezed[:-1]
        static = self._static.get(squeezed.lower())
        if static is not None:
            return static
        segments = squeezed.split("/")
        for template in self._templates.get(len(segments), ()):
            if all(
                (fixed is None and sent) or (fixed is not None and fixed.lower() == sent.lower())
                for fixed, sent in zip(template, segments, strict=True)
            ):
                return "/".join(
                    sent if fixed is None else fixed
                    for fixed, sent in zip(template, segments, strict=True)
                )
        return None


class LenientPaths:
    """ASGI middleware: the router sees the canonical path of the route a request names."""

    def __init__(self, app: ASGIApp, paths: Iterable[str]) -> None:
        self.app = app
        self.table = PathTable(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path not in self.table.exact:  # the hot path: an exact route name
                canonical = self.table.canonical(path)
                if canonical is not None and canonical != path:
                    scope = {**scope, "path": canonical}
        await self.app(scope, receive, send)
