"""The client against scripted stubs, for what a real `itg serve` never does: the public API's
second error shape, non-JSON error bodies, 429/503, dropped connections and lost answers.

The rule under test: a request is sent again only when the server cannot have stored it.
"""

from __future__ import annotations

import base64
import logging
import time

import orjson
import pytest
from client_stub import DROP, HANG, reply

from itg.client import Accepted, Client, ItgHttpError, ItgTransportError, WaitTimeout
from itg.errors import UsageError
from tests.processes import free_port

ACCEPTED = {"company": "a000101", "unique": "bd751350", "subunique": "c01de0cc", "message": "ok"}
OK = reply(200, orjson.dumps(ACCEPTED))
REPORT = {"status": "done", "subunique": "c01de0cc", "progress": {"done": "1", "total": "1"}}
RECORDS = [{"matricula": "1001"}, {"matricula": "1002"}]


def client_for(url: str, **options: float) -> Client:
    settings: dict[str, float] = {"retries": 3, "backoff": 0.01, "timeout": 5.0, **options}
    return Client(url, "integrador", "s3cret", **settings)  # type: ignore[arg-type]


def retry_notes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "itg.client"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (
            b'{"code":404,"message":"Process not found"}',
            "application/json",
            404,
            "Process not found",
        ),
        (
            b'{"error":{"code":404,"message":"Process not found"}}',
            "application/json",
            404,
            "Process not found",
        ),
        (b"<html><body><h1>404</h1></body></html>", "text/html", 404, "Not Found"),
        (b"no such process\n", "text/plain", 400, "no such process"),
        (b"", "text/plain", 403, "Forbidden"),
    ],
    ids=["code-message", "error-object", "html", "text", "empty"],
)
def test_every_error_body_becomes_one_ItgHttpError(stub, body, content_type, status, message):
    # Given a server that answers with this error body
    server = stub(reply(status, body, content_type))
    # When the process is read
    with client_for(server.url) as client, pytest.raises(ItgHttpError) as raised:
        client.process("deadbeef")
    # Then one exception type carries the status and the message
    assert (raised.value.status, raised.value.message) == (status, message)
    assert str(raised.value) == f"{message} (HTTP {status})"
    # And the request was the monitor's, with the version and the credentials, sent once
    token = base64.b64encode(b"integrador:s3cret").decode()
    assert [(r.method, r.target) for r in server.requests] == [
        ("GET", "/process?subunique=deadbeef")
    ]
    assert server.requests[0].headers["accept-version"] == "v2"
    assert server.requests[0].headers["authorization"] == f"Basic {token}"


def test_a_post_error_in_the_code_message_shape_is_not_retried(stub):
    server = stub(reply(400, b'{"code":400,"message":"Request exceeds 1000 records"}'))
    with client_for(server.url) as client, pytest.raises(ItgHttpError) as raised:
        client.send("people", RECORDS)
    assert (raised.value.status, raised.value.message) == (400, "Request exceeds 1000 records")
    assert [(r.method, r.target, r.body) for r in server.requests] == [
        ("POST", "/people", orjson.dumps(RECORDS))
    ]


TRUNCATED_200 = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n"
    b'Connection: close\r\n\r\n{"company":"a0'
)


@pytest.mark.parametrize(
    "lost",
    [
        TRUNCATED_200,
        DROP,
        HANG,
        reply(502, b"<html>gateway</html>", "text/html"),
        reply(504, b"<html>gateway</html>", "text/html"),
    ],
    ids=["truncated-200", "dropped", "read-timeout", "gateway-502", "gateway-504"],
)
def test_a_post_whose_answer_was_lost_is_sent_again_with_the_same_key(stub, lost):
    # Given a server whose first answer is lost (it may have stored the request), then answers
    server = stub(lost, OK)
    # When records are sent
    with client_for(server.url, timeout=0.5) as client:
        accepted = client.send("people", RECORDS)
    # Then the same body went twice under one idempotency key (SPEC 1.8), and was accepted
    assert [r.body for r in server.requests] == [orjson.dumps(RECORDS)] * 2
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert keys[0] == keys[1]
    assert accepted == [Accepted(**ACCEPTED, first_index=0, count=2)]


def test_every_request_gets_its_own_fresh_key(stub):
    server = stub(OK)
    with client_for(server.url, max_records=1) as client:
        client.send("people", RECORDS)
        client.send("people", RECORDS)
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert len(keys) == 4
    assert len(set(keys)) == 4
    assert all(32 <= len(key) <= 255 and key.isascii() and key.isalnum() for key in keys)


def test_a_key_prefix_names_the_keys_by_request_position(stub):
    server = stub(OK)
    with client_for(server.url, max_records=1) as client:
        client.send("people", RECORDS, key_prefix="folha-2026-11")
    assert [r.headers["idempotency-key"] for r in server.requests] == [
        "folha-2026-11-0",
        "folha-2026-11-1",
    ]


@pytest.mark.parametrize("prefix", ["", "com espaço", "tab\there", "x" * 201, "ação"])
def test_a_key_prefix_that_cannot_make_valid_keys_is_refused_before_sending(stub, prefix):
    server = stub(OK)
    with client_for(server.url) as client, pytest.raises(UsageError) as raised:
        client.send("people", RECORDS, key_prefix=prefix)
    assert str(raised.value) == (
        f"the key prefix must be 1 to 200 visible ASCII characters (no spaces), got {prefix!r}"
    )
    assert server.requests == []


def test_a_replayed_answer_is_marked_as_such(stub):
    server = stub(reply(200, orjson.dumps(ACCEPTED), Idempotent_Replayed="true"))
    with client_for(server.url) as client:
        accepted = client.send("people", RECORDS)
    assert accepted == [Accepted(**ACCEPTED, first_index=0, count=2, replayed=True)]


def test_a_post_that_lost_every_answer_says_a_retry_is_safe(stub):
    server = stub(DROP)
    with client_for(server.url, retries=1) as client, pytest.raises(ItgTransportError) as raised:
        client.send("people", RECORDS)
    assert len(server.requests) == 2
    assert str(raised.value) == (
        "POST /people failed after 2 attempts: RemoteProtocolError: Server disconnected "
        "without sending a response. (the request may have been accepted: sending it again "
        "with the same idempotency key is safe)"
    )


def test_a_cancel_carries_no_key_and_is_not_sent_again_once_it_was_read(stub):
    server = stub(DROP, reply(200, orjson.dumps({**REPORT, "status": "canceled"})))
    with client_for(server.url) as client, pytest.raises(ItgTransportError) as raised:
        client.cancel("c01de0cc")
    assert [(r.method, r.target) for r in server.requests] == [
        ("POST", "/process/cancel?subunique=c01de0cc")
    ]
    assert "idempotency-key" not in server.requests[0].headers
    assert str(raised.value) == (
        "POST /process/cancel failed: RemoteProtocolError: Server disconnected without sending "
        "a response. (the request was sent, so it may have been acted on)"
    )


def test_a_cancel_answers_the_report_or_the_refusal(stub):
    canceled = {**REPORT, "status": "canceled", "cancel_requested": True}
    finished = reply(409, b'{"error":{"code":409,"message":"Process already finished"}}')
    server = stub(reply(200, orjson.dumps(canceled)), finished)
    with client_for(server.url) as client:
        assert client.cancel("c01de0cc") == canceled
        with pytest.raises(ItgHttpError) as raised:
            client.cancel("c01de0cc")
    assert (raised.value.status, raised.value.message) == (409, "Process already finished")
    assert len(server.requests) == 2


def test_a_200_whose_body_is_not_json_is_reported_as_accepted_and_not_sent_again(stub):
    server = stub(reply(200, b"<html>ok</html>", "text/html"), OK)
    with client_for(server.url) as client, pytest.raises(ItgTransportError) as raised:
        client.send("people", RECORDS)
    assert len(server.requests) == 1
    assert str(raised.value) == (
        "POST /people answered 200 with a body that is not JSON "
        "(the request was accepted; do not send it again)"
    )


def test_a_post_refused_with_503_and_429_is_sent_again_until_accepted(stub, caplog):
    caplog.set_level(logging.INFO, logger="itg.client")
    # Given a server that is unavailable twice, then accepts
    unavailable = reply(503, b'{"error":{"code":503,"message":"Service Unavailable"}}')
    busy = reply(429, b'{"code":429,"message":"Too Many Requests"}')
    server = stub(unavailable, busy, OK)
    # When records are sent with 3 retries allowed
    with client_for(server.url) as client:
        accepted = client.send("people", RECORDS)
    # Then it took exactly 3 attempts with the same body, and the 200 was the answer
    assert [r.body for r in server.requests] == [orjson.dumps(RECORDS)] * 3
    assert accepted == [Accepted(**ACCEPTED, first_index=0, count=2)]
    assert retry_notes(caplog) == [
        "POST /people failed (HTTP 503); attempt 2 of 4 in 0.01 s",
        "POST /people failed (HTTP 429); attempt 3 of 4 in 0.02 s",
    ]


def test_retries_are_bounded_and_end_with_the_last_answer(stub):
    server = stub(reply(503, b'{"code":503,"message":"Service Unavailable"}'))
    with client_for(server.url, retries=2) as client, pytest.raises(ItgHttpError) as raised:
        client.send("people", RECORDS)
    assert (raised.value.status, raised.value.message) == (503, "Service Unavailable")
    assert len(server.requests) == 3


def test_retry_after_is_honoured_even_beyond_the_longest_backoff(stub):
    busy = reply(429, b'{"code":429,"message":"Too Many Records"}', Retry_After="1")
    server = stub(busy, OK)
    started = time.monotonic()
    with client_for(server.url, max_backoff=0.01) as client:
        client.send("people", RECORDS)
    assert time.monotonic() - started >= 1.0
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_retry_after_replaces_the_backoff(stub):
    busy = reply(429, b'{"code":429,"message":"Too Many Requests"}', Retry_After="0")
    server = stub(busy, OK)
    started = time.monotonic()
    with client_for(server.url, backoff=30.0) as client:
        accepted = client.send("people", RECORDS)
    assert time.monotonic() - started < 5.0  # not the 30 s backoff
    assert [a.subunique for a in accepted] == ["c01de0cc"]
    assert len(server.requests) == 2


def test_a_get_is_retried_after_dropped_connections_and_5xx(stub, caplog):
    caplog.set_level(logging.INFO, logger="itg.client")
    server = stub(DROP, reply(504, b""), reply(200, orjson.dumps(REPORT)))
    with client_for(server.url) as client:
        report = client.process("c01de0cc")
    assert report == REPORT
    assert len(server.requests) == 3
    assert retry_notes(caplog) == [
        "GET /process failed (RemoteProtocolError: Server disconnected without sending a "
        "response.); attempt 2 of 4 in 0.01 s",
        "GET /process failed (HTTP 504); attempt 3 of 4 in 0.02 s",
    ]


def test_a_post_that_cannot_connect_is_retried_then_fails(caplog):
    caplog.set_level(logging.INFO, logger="itg.client")
    # Given a port where nothing listens: the request is never sent, so retrying is safe
    url = f"http://127.0.0.1:{free_port()}"
    with client_for(url, retries=2) as client, pytest.raises(ItgTransportError) as raised:
        client.send("people", RECORDS)
    assert str(raised.value) == (
        "POST /people failed after 3 attempts: ConnectError: [Errno 111] Connection refused"
    )
    assert len(retry_notes(caplog)) == 2


def test_an_unknown_route_is_refused_before_anything_is_sent(stub):
    server = stub(OK)
    with client_for(server.url) as client, pytest.raises(UsageError) as raised:
        client.send("pessoas", RECORDS)
    assert str(raised.value) == (
        "unknown route name 'pessoas' (use people, absences, paymentDate, anticipate, "
        "subsidiaries, costcenter, users)"
    )
    assert server.requests == []


def test_sending_no_records_sends_nothing(stub):
    server = stub(OK)
    with client_for(server.url) as client:
        assert client.send("people", []) == []
    assert server.requests == []


def test_wait_polls_until_a_final_status_and_anything_else_is_unfinished(stub):
    # Given a process reported queued, then with a status the client does not know, then done
    reports = [{**REPORT, "status": status} for status in ("queued", "paused", "done")]
    server = stub(*(reply(200, orjson.dumps(report)) for report in reports))
    # When the client waits, then it polled three times and saw every report
    seen: list[dict[str, object]] = []
    with client_for(server.url, poll_interval=0.01) as client:
        final = client.wait("c01de0cc", timeout=10, on_progress=seen.append)
    assert final == reports[2]
    assert seen == reports
    assert len(server.requests) == 3


def test_wait_gives_up_after_its_timeout(stub):
    server = stub(reply(200, orjson.dumps({**REPORT, "status": "processing"})))
    with client_for(server.url, poll_interval=0.05) as client, pytest.raises(WaitTimeout) as raised:
        client.wait("c01de0cc", timeout=0.3)
    assert str(raised.value) == "process c01de0cc not finished after 0.3 s (status processing)"
    assert 2 <= len(server.requests) <= 8  # polled every 0.05 s for 0.3 s, and once at the end
