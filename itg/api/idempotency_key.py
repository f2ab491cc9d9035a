"""The `Idempotency-Key` header of a write request (SPEC 1.8) and the request's fingerprint.

The header follows the IETF httpapi draft "The Idempotency-Key HTTP Header Field": a key of
1–255 visible ASCII characters (0x21–0x7E), sent bare or as a structured-field string
(`"abc"` means `abc`; inside the quotes `\\"` and `\\\\` stand for `"` and `\\`).
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request

from itg.api.responses import ApiError

HEADER = b"idempotency-key"
MAX_LENGTH = 255
INVALID = "Invalid Idempotency-Key"


def idempotency_key(request: Request) -> str | None:
    """The request's key, None when it sent none; 400 `Invalid Idempotency-Key` otherwise."""
    values = [bytes(v) for n, v in request.scope.get("headers", ()) if n.lower() == HEADER]
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, INVALID)  # two keys name no single request
    key = _unquoted(values[0].strip(b" \t"))
    if key is None or not 1 <= len(key) <= MAX_LENGTH or not all(0x21 <= b <= 0x7E for b in key):
        raise ApiError(400, INVALID)
    return key.decode("ascii")


def _unquoted(value: bytes) -> bytes | None:
    """The key of a bare or sf-string value; None for a malformed sf-string."""
    if not value.startswith(b'"'):
        return value
    if len(value) < 2 or not value.endswith(b'"'):
        return None
    key, escaped = bytearray(), False
    for byte in value[1:-1]:
        if escaped:
            if byte not in b'"\\':
                return None
            key.append(byte)
            escaped = False
        elif byte == ord("\\"):
            escaped = True
        elif byte == ord('"'):
            return None  # an unescaped quote ends the string before its end
        else:
            key.append(byte)
    return None if escaped else bytes(key)


def fingerprint(route: str, body: bytes) -> str:
    """What makes two requests under one key the same request: the route and the body's
    SHA-256, over the bytes exactly as received."""
    return f"{route}:{hashlib.sha256(body).hexdigest()}"
