"""HTTP Basic authentication of service users and their route permissions (SPEC 1.1).

Credentials are looked up at most once per `credential_cache_seconds` per username, so
disabling or resetting takes effect everywhere within that time while a busy client costs one
HMAC per request and no query.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from itg.api.responses import ApiError, forbidden, unauthorized
from itg.security import password_matches
from itg.storage.database import Database
from itg.storage.tenants import Credential, load_credential

_CACHE_LIMIT = 10_000  # bounds memory under a flood of made-up usernames


@dataclass(frozen=True)
class Principal:
    company_id: int
    company_code: str
    username: str


def malformed() -> ApiError:
    return ApiError(400, "Malformed Authorization header")


def parse_basic(header: str) -> tuple[str, str]:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
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
    def __init__(self, db: Database, cache_seconds: float) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Credential | None]] = {}

    async def authenticate(self, request: Request, route: str) -> Principal:
        header = request.headers.get("authorization")
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
        if not credential.company_enabled or route not in credential.routes:
            raise forbidden()
        return Principal(credential.company_id, credential.company_code, credential.username)

    async def _credential(self, username: str) -> Credential | None:
        now = time.monotonic()
        cached = self._cache.get(username)
        if cached is not None and cached[0] > now:
            return cached[1]
        credential = await run_in_threadpool(load_credential, self._db, username)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[username] = (now + self._cache_seconds, credential)
        return credential
