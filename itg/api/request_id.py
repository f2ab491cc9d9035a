"""Request ids (SPEC 1.7): every HTTP request gets one, answered in `X-Request-Id` and
present in every log line the request causes (itg/logs.py), the worker's included.

The client's `X-Request-Id` is kept when it is sane: 1–128 characters of a conservative set
(letters, digits and `._:/+=-`), enough for UUIDs, ULIDs, trace ids and the ids proxies add,
and nothing that could forge a log line or smuggle a header. Anything else (empty, too long,
control characters, spaces, non-ASCII) is ignored, not refused: the request is served with an
id of ours, as if it had sent none.
"""

from __future__ import annotations

import os
import re

from starlette.types import Message, Scope, Send

HEADER = b"x-request-id"
MAX_LENGTH = 128
_SANE = re.compile(rb"[A-Za-z0-9._:/+=-]{1,%d}" % MAX_LENGTH)


def request_id_of(scope: Scope) -> str:
    """The client's `X-Request-Id` (the first one) when it is sane, else a new one: 128 random
    bits in 32 hexadecimal characters (like a uuid4's hex, at a quarter of its cost)."""
    for name, value in scope["headers"]:
        if name == HEADER:
            if _SANE.fullmatch(value):
                return str(value.decode("ascii"))
            break
    return os.urandom(16).hex()


def with_request_id(send: Send, request_id: str) -> Send:
    """`send` adding `X-Request-Id` to the response's headers.

    The start message is copied, never changed in place: a response may send headers it keeps
    (a cached answer), which must not collect one id per request.
    """
    header = (HEADER, request_id.encode("ascii"))

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return sender
