"""A scripted HTTP/1.1 stub on 127.0.0.1, for what a real `itg serve` never does: the
`{"code","message"}` error shape, 503s, dropped connections and lost answers.

Each connection carries one request. The stub reads it completely, records it, then plays the
next scripted reply (the last one repeats): raw bytes to send, DROP (close without an answer)
or HANG (answer nothing until the client gives up).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

DROP = "drop"
HANG = "hang"
SOCKET_SECONDS = 5.0  # every blocking socket call of the stub is bounded by this


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def reply(
    status: int, body: bytes, content_type: str = "application/json", **headers: str
) -> bytes:
    """A complete response that closes its connection."""
    lines = [f"HTTP/1.1 {status} Stub", f"Content-Type: {content_type}"]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Stub:
    def __init__(self, *script: bytes | str) -> None:
        assert script, "a stub needs at least one reply"
        self.script = script
        self.requests: list[Seen] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=SOCKET_SECONDS * 2)
        assert not self._thread.is_alive(), "the stub did not stop"
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(SOCKET_SECONDS)
                seen = _read_request(conn)
                if seen is None:
                    continue
                self.requests.append(seen)
                action = self.script[min(len(self.requests), len(self.script)) - 1]
                if action == HANG:
                    _wait_for_close(conn)
                elif isinstance(action, bytes):
                    conn.sendall(action)


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    method, target, _version = request_line.split(" ", 2)
    return Seen(method, target, headers, body)


def _wait_for_close(conn: socket.socket) -> None:
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
