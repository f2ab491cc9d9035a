"""Baseline for `monitor`: a bare ASGI endpoint answering a constant JSON body.

The body is the exact bytes itg answered for the process being monitored (same size, same
content), so the difference is only what itg does to produce it: auth, routing, one read.

    python -m bench.baseline_monitor --port 8002 --body /tmp/process.json
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def make_app(body: bytes) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
    }
    answer = {"type": "http.response.body", "body": body}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"  # lifespan is switched off below
        await send(start)
        await send(answer)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON answer")
    args = parser.parse_args()
    app = make_app(args.body.read_bytes())
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, access_log=False, lifespan="off", log_level="warning"
    )


if __name__ == "__main__":
    main()
