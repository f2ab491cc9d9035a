"""Standard Webhooks signing (SPEC 1.12), checked with the `standardwebhooks` package from the
index, not with itg's own code."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from itg.domain.webhook_signature import new_message_id, new_secret, sign, signed_headers

BODY = b'{"type":"process.finished","data":{"status":"done"}}'


def test_a_secret_is_whsec_and_the_base64_of_24_random_bytes():
    secret = new_secret()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret


def test_message_ids_are_prefixed_and_distinct():
    first, second = new_message_id(), new_message_id()
    assert re.fullmatch(r"msg_[0-9a-f]{32}", first)
    assert first != second


def test_the_headers_verify_with_the_standardwebhooks_library():
    # Given a secret and an attempt now
    secret, message_id, timestamp = new_secret(), new_message_id(), int(time.time())
    # When itg signs the body
    headers = signed_headers(secret, message_id, timestamp, BODY)
    # Then a Standard Webhooks receiver accepts it and reads the body
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "process.finished",
        "data": {"status": "done"},
    }
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == message_id
    assert headers["webhook-timestamp"] == str(timestamp)
    # And the library's own signature is the same string
    assert Webhook(secret).sign(message_id, _moment(timestamp), BODY.decode()) == sign(
        secret, message_id, timestamp, BODY
    )


@pytest.mark.parametrize("tamper", ["body", "secret", "id", "timestamp"])
def test_a_changed_body_secret_id_or_timestamp_fails_verification(tamper: str):
    secret, message_id, timestamp = new_secret(), new_message_id(), int(time.time())
    headers = signed_headers(secret, message_id, timestamp, BODY)
    body = BODY
    if tamper == "body":
        body = BODY.replace(b"done", b"error")
    elif tamper == "secret":
        secret = new_secret()
    elif tamper == "id":
        headers["webhook-id"] = new_message_id()
    else:
        headers["webhook-timestamp"] = str(timestamp + 1)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
