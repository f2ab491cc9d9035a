"""HTTP Basic authentication of service users and their route permissions (SPEC 1.1).

Credentials are looked up at most once per `credential_cache_seconds` (5 s at most) per
username, so disabling or resetting takes effect everywhere within that time while a busy
client costs one HMAC per request and no query (see itg/api/credential_cache.py).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from itg.api import raw
from itg.api.credential_cache import DEFAULT_LIMIT, CredentialCache
from itg.api.reads import ReadThreads
from itg.api.responses import ApiError, forbidden, unauthorized
from itg.security import password_matches
from itg.storage.database import Database
from itg.storage.tenants import Credential, load_credential

# RFC 9110 11.4: credentials = auth-scheme 1*SP ( token68 / #auth-param ). Header values
# arrive latin-1 decoded, so obs-text (%x80-FF) is \x80-\xff here.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_TOKEN68 = r"[0-9A-Za-z._~+/-]+=*"
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_PARAM = rf"{_TOKEN}[ \t]*=[ \t]*(?:{_TOKEN}|{_QUOTED})"
_CREDENTIALS = re.compile(rf"{_TOKEN} +(?:{_TOKEN68}|{_PARAM}(?:[ \t]*,[ \t]*{_PARAM})*)")


@dataclass(frozen=True)
class Principal:
    company_id: int
    company_code: str
    username: str


def malformed() -> ApiError:
    return ApiError(400, "Malformed Authorization header")


def parse_basic(header: str) -> tuple[str, str]:
    """(username, password) of a Basic header; 400 when malformed, 401 for another scheme.

    A well-formed other scheme (`Bearer xyz`, `Digest username="u"`) is a scheme this server
    does not support, answered with the Basic challenge (RFC 9110 11.6.1). A word alone is
    malformed: it is far more often a Basic token without its scheme than a real scheme.
    """
    header = header.strip()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        raise unauthorized() if _CREDENTIALS.fullmatch(header) else malformed()
    if not token.strip():
        raise malformed()
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # ValueError: a token with non-ASCII characters (header bytes arrive latin-1 decoded)
        # is refused by b64decode before any binascii check; it is malformed, not a 500.
        raise malformed() from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise malformed()
    return username, password


class Authenticator:
    def __init__(
        self,
        db: Database,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        cache_limit: int = DEFAULT_LIMIT,
        reads: ReadThreads | None = None,
    ) -> None:
        self._db = db
        self._reads = reads  # the app's read threads; None: the default thread pool
        self._cache = CredentialCache(cache_seconds, cache_limit)
        self._clock = clock  # a test's frozen clock keeps entries fresh however slow it runs

    async def authenticate(self, request: Request, route: str) -> Principal:
        principal, routes = await self.identify(request)
        if route not in routes:
            raise forbidden()
        return principal

    async def identify(self, request: Request) -> tuple[Principal, frozenset[str]]:
        """The caller and the routes it holds, before any route is checked: a route that
        depends on what is asked for (the process's own route, SPEC 1.9) is checked after."""
        header = raw.header(request.scope, b"authorization")
        if header is None:
            raise unauthorized()
        username, password = parse_basic(header)
        credential = await self._credential(username)
        if (
            credential is None
            or not credential.user_enabled
            or not password_matches(password, credential.password_salt, credential.password_hash)
        ):
            raise unauthorized()
        if not credential.company_enabled:
            raise forbidden()
        principal = Principal(credential.company_id, credential.company_code, credential.username)
        return principal, credential.routes

    async def _credential(self, username: str) -> Credential | None:
        now = self._clock()
        found, cached = self._cache.get(username, now)
        if found:
            return cached
        if self._reads is None:
            credential = await run_in_threadpool(load_credential, self._db, username)
        else:
            credential = await self._reads.run(load_credential, self._db, username)
        # Expiry counts from before the query: the entry is never older than the setting.
        self._cache.put(username, credential, now)
        return credential
