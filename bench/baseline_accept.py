"""Baseline for `accept`: the least any server can do to accept a write request durably.

A bare ASGI app on the same server (uvicorn, one process) that reads the body, parses it
with orjson, INSERTs it raw into SQLite (WAL, synchronous=FULL: the commit is fsync'd) and
answers 200 with a small JSON. No auth, no routing, no framework, no shape checks.

    python -m bench.baseline_accept --port 8001 --db /tmp/x.db
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ANSWER = orjson.dumps({"company": "a000001", "unique": "00000000", "subunique": "00000000"})


class Store:
    """One connection, one writer at a time: SQLite serialises writers anyway."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS requests"
            " (id INTEGER PRIMARY KEY, payload BLOB NOT NULL, total INTEGER NOT NULL)"
        )
        self._conn.commit()
        self._lock = threading.Lock()

    def insert(self, payload: bytes, total: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO requests (payload, total) VALUES (?, ?)", (payload, total)
            )
            self._conn.commit()


def make_app(store: Store) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"  # lifespan is switched off below
        parts = []
        while True:
            message = await receive()
            parts.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(parts)
        records = orjson.loads(body)
        # Off the event loop, like itg: the fsync must not stall the other connections.
        await asyncio.to_thread(store.insert, body, len(records))
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(ANSWER))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": ANSWER})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    app = make_app(Store(args.db))
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, access_log=False, lifespan="off", log_level="warning"
    )


if __name__ == "__main__":
    main()
