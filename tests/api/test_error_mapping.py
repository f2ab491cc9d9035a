"""One exception root, one mapping (SPEC 1.2): every error class of itg/errors.py has its
HTTP status in itg/api/error_handlers.py, and an error raised anywhere under a route is
answered with it in the {"error":{"code","message"}} shape."""

from __future__ import annotations

import inspect
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from itg import errors
from itg.api.error_handlers import STATUS_OF, install_error_handlers
from itg.api.responses import ApiError, unauthorized
from itg.errors import ItgError, NotFoundError
from tests.errors import error_body


class UnknownCatalogError(NotFoundError):
    """A subclass with no row of its own: its nearest listed ancestor decides."""


class UnlistedError(ItgError):
    """An error class nobody gave a status: a bug, answered like any unexpected error."""


def raising(exc: Exception) -> TestClient:
    """An app whose only route raises `exc`, with itg's error handlers installed."""
    app = FastAPI()

    async def fail() -> None:
        raise exc

    app.add_api_route("/fail", fail, methods=["GET"])
    install_error_handlers(app)
    return TestClient(app, raise_server_exceptions=False)


def test_every_error_class_of_itg_has_a_status():
    # Given the error classes itg/errors.py defines
    defined = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ItgError) and cls is not ItgError
    }
    # Then each has exactly one row in the table, and the HTTP edge's own error joins the root
    assert set(STATUS_OF) == defined
    assert issubclass(ApiError, ItgError)


@pytest.mark.parametrize(
    ("error", "status"),
    [(cls, status) for cls, status in STATUS_OF.items() if status < 500]
    + [(UnknownCatalogError, 404)],
)
def test_a_domain_error_is_answered_with_its_status_and_message(error: type, status: int):
    # Given a route that raises a domain error
    with raising(error("Process not found")) as client:
        # When it is called
        response = client.get("/fail")
    # Then the error's status and message come back in the error shape
    assert response.status_code == status
    assert response.json() == error_body(status, "Process not found")


@pytest.mark.parametrize(
    "error", [cls for cls, status in STATUS_OF.items() if status >= 500] + [UnlistedError]
)
def test_a_server_side_error_is_500_without_its_text(error: type, caplog: pytest.LogCaptureFixture):
    # Given a route that raises an error no client should see
    with caplog.at_level(logging.ERROR, "itg.api"), raising(error("secret detail")) as client:
        # When it is called
        response = client.get("/fail")
    # Then the answer is a bare 500, and the detail is logged with its traceback
    assert response.status_code == 500
    assert response.json() == error_body(500, "Internal Server Error")
    (record,) = [r for r in caplog.records if r.name == "itg.api"]
    assert record.exc_info is not None and "secret detail" in str(record.exc_info[1])


def test_an_api_error_keeps_its_own_status_and_headers():
    # Given a route that refuses with the HTTP edge's own error
    with raising(unauthorized()) as client:
        response = client.get("/fail")
    # Then its status, message and headers are sent
    assert response.status_code == 401
    assert response.json() == error_body(401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
