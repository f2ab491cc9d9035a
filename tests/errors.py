"""The error answer of SPEC 1.2, defined once: every test that compares an error body goes
through `error_body` or `assert_error`, so the shape changes in one place."""

from __future__ import annotations

from typing import Any

import httpx


def error_body(status: int, message: str) -> dict[str, Any]:
    """`{"error":{"code","message"},"code","message"}`: the enveloped and the flat shape of
    the public API's pages at once, with the same values."""
    return {"error": {"code": status, "message": message}, "code": status, "message": message}


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    """The exact error answer: status, JSON content type and body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(status, message)
