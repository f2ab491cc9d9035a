"""A webhook attempt succeeds only with a 2xx within the timeout (SPEC 1.12): httpx's timeout
bounds each read, so a receiver trickling its status line byte by byte is caught by the
attempt's own deadline. A real socket server, no mock transport."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from itg.delivery import send
from itg.domain.webhook_signature import new_message_id, new_secret
from itg.storage.webhooks import Delivery
from itg.timeutil import utcnow

ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _trickling_receiver(listener: socket.socket, pause_seconds: float) -> None:
    """Read one request, then answer it one byte every `pause_seconds`."""
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(5)
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(65536)
        # The whole body too: closing with unread bytes would reset the connection.
        head, _, body = received.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += connection.recv(65536)
        for byte in ANSWER:
            connection.sendall(bytes([byte]))
            time.sleep(pause_seconds)


@pytest.fixture
def receiver_url(request: pytest.FixtureRequest) -> Iterator[str]:
    pause_seconds: float = request.param
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=_trickling_receiver, args=(listener, pause_seconds))
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    thread.join(30)
    listener.close()


def _delivery(url: str) -> Delivery:
    return Delivery(
        id=1,
        event_id=new_message_id(),
        endpoint_id=1,
        url=url,
        secret=new_secret(),
        body=b'{"type":"process.finished"}',
        attempt=1,
        created_at=utcnow(),
    )


@pytest.mark.parametrize("receiver_url", [0.05], indirect=True)
def test_an_answer_trickled_past_the_timeout_is_a_timeout(receiver_url: str):
    # Given a receiver whose 204 takes ~3.5 s to arrive, each byte well within httpx's timeout
    with httpx.Client(timeout=1.0) as client:
        # When it is sent with a 1 s timeout
        outcome = send(client, _delivery(receiver_url), 1.0)
    # Then the attempt is a timeout, not a delivery
    assert (outcome.status_code, outcome.error, outcome.delivered) == (None, "timeout", False)


@pytest.mark.parametrize("receiver_url", [0.0], indirect=True)
def test_an_answer_within_the_timeout_is_delivered(receiver_url: str):
    with httpx.Client(timeout=5.0) as client:
        outcome = send(client, _delivery(receiver_url), 5.0)
    assert (outcome.status_code, outcome.error, outcome.delivered) == (204, None, True)
