"""Standard Webhooks signing (SPEC 1.12): secrets, message ids and the `v1,` signature.

Pure code: the delivery loop (itg/delivery.py) signs each attempt with these; a receiver
verifies with any Standard Webhooks library (the tests use the `standardwebhooks` package).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # SPEC 1.12: `whsec_` + base64 of 24 random bytes
MESSAGE_PREFIX = "msg_"


def new_secret() -> str:
    """A signing secret, shown once when an endpoint is added (and stored: it signs)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """An event's `webhook-id`: random, fixed for the event, the same on every retry."""
    return MESSAGE_PREFIX + secrets.token_hex(16)


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after `whsec_`."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt (its timestamp is the attempt's, Unix seconds)."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
