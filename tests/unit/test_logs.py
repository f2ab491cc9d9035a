"""The log formats of itg/logs.py (SPEC 1.7, SPEC 6): one JSON object per line with the
context it was logged in, tracebacks without the messages that may quote record content."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
from collections.abc import Iterator

import pytest

from itg import logs
from itg.errors import ConfigError
from itg.settings import Settings

CPF = "390.533.447-05"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]]]:
    """A logger of its own writing to a buffer (the process's root logger stays as it is)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("itg.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream, handler
    logger.removeHandler(handler)
    logger.propagate = True


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def raise_with_record_content() -> None:
    try:
        raise KeyError(CPF)
    except KeyError as exc:
        raise ValueError(f"duplicate key (cpf)=({CPF})\nDETAIL: on two lines") from exc


def test_a_json_line_has_the_fields_and_no_context_outside_a_request(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("json"))
    # When a line is logged outside any request or claim
    logger.info("purged %s expired processes", 3)
    # Then it is one JSON object with exactly these fields
    (line,) = json_lines(stream)
    assert set(line) == {"time", "level", "logger", "message", "pid"}
    assert (line["level"], line["logger"], line["message"], line["pid"]) == (
        "INFO",
        "itg.test_logs",
        "purged 3 expired processes",
        os.getpid(),
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(line["time"]))


def test_a_json_line_carries_the_request_id_and_the_claim_context(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("json"))
    # When lines are logged during a request, during a claim, and after the claim
    token = logs.REQUEST_ID.set("req-1")
    try:
        logger.info("in the request")
    finally:
        logs.REQUEST_ID.reset(token)
    with logs.claim_context(
        company="a000101", subunique="c01de0cc", route="people", attempt=2, request_id="req-2"
    ):
        logger.warning("in the claim")
    logger.info("after the claim")
    # Then each has the context it was logged in, and only that
    request, claim, after = json_lines(stream)
    assert request["request_id"] == "req-1"
    assert "company" not in request
    assert {key: claim[key] for key in ("company", "subunique", "route", "attempt")} == {
        "company": "a000101",
        "subunique": "c01de0cc",
        "route": "people",
        "attempt": 2,
    }
    assert (claim["request_id"], claim["level"]) == ("req-2", "WARNING")
    assert set(after) == {"time", "level", "logger", "message", "pid"}


def test_a_claim_of_a_request_stored_without_an_id_has_none(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("json"))
    with logs.claim_context(
        company="a000101", subunique="c01de0cc", route="people", attempt=1, request_id=None
    ):
        logger.info("claimed")
    (line,) = json_lines(stream)
    assert "request_id" not in line
    assert line["subunique"] == "c01de0cc"


def test_a_traceback_is_one_string_field_on_one_line_without_exception_messages(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("json"))
    # When an error whose message quotes a record is logged with its traceback
    try:
        raise_with_record_content()
    except ValueError:
        logger.exception("request %s (attempt %s) failed", 7, 1)
    # Then the log is one line, whose exc_info holds the frames and types of both exceptions
    assert stream.getvalue().count("\n") == 1
    (line,) = json_lines(stream)
    assert line["message"] == "request 7 (attempt 1) failed"
    trace = str(line["exc_info"])
    assert trace.startswith("Traceback (most recent call last):\n")
    assert "in raise_with_record_content" in trace
    assert "KeyError: (message not logged)" in trace
    assert "The above exception was the direct cause of the following exception:" in trace
    assert trace.endswith("ValueError: (message not logged)")
    # And none of the record's content
    assert CPF not in stream.getvalue()
    assert "39053344705" not in stream.getvalue()


def test_text_keeps_its_look_with_the_request_id_and_without_exception_messages(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("text"))
    logger.info("no request")
    token = logs.REQUEST_ID.set("abc-123")
    try:
        try:
            raise_with_record_content()
        except ValueError:
            logger.exception("failed")
    finally:
        logs.REQUEST_ID.reset(token)
    first, second, *trace = stream.getvalue().splitlines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO itg\.test_logs: no request", first
    )
    assert second.endswith(" ERROR itg.test_logs [abc-123]: failed")
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: (message not logged)"
    assert CPF not in stream.getvalue()


def test_a_traceback_cached_by_another_handler_is_not_reused(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("text"))
    other = io.StringIO()
    plain = logging.StreamHandler(other)  # formats first, caching exc_text with the message
    logger.handlers.insert(0, plain)
    try:
        try:
            raise_with_record_content()
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(plain)
    assert CPF in other.getvalue()
    assert CPF not in stream.getvalue()


def test_a_message_with_newlines_stays_one_json_line(capture):
    logger, stream, handler = capture
    handler.setFormatter(logs.formatter("json"))
    logger.warning("a\nb\r\nc\u2028d\x85e")
    assert len(stream.getvalue().splitlines()) == 1
    assert stream.getvalue().isascii()
    assert json_lines(stream)[0]["message"] == "a\nb\r\nc\u2028d\x85e"


def test_configure_routes_uvicorn_through_the_one_handler(monkeypatch):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        logs.configure("json")
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 1)
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    (line,) = json_lines(stream)
    assert (line["logger"], line["message"]) == ("uvicorn.error", "Started server process [1]")


def test_the_format_setting_is_text_or_json_and_fails_fast_otherwise():
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"ITG_LOG_FORMAT": "json"}).log_format == "json"
    assert Settings.from_env({"ITG_LOG_FORMAT": " JSON "}).log_format == "json"
    with pytest.raises(ConfigError, match=r"^ITG_LOG_FORMAT must be one of TEXT, JSON, got 'xml'$"):
        Settings.from_env({"ITG_LOG_FORMAT": "xml"})
