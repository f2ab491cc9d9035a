"""The OpenAPI document says what the server checks, and only that (SPEC 6, 1.3, 1.4, 1.7).

tests/e2e/test_schemathesis.py checks the whole document against a live server; these pin the
pieces it is built from.
"""

from __future__ import annotations

import re
import sys

import pytest

from itg.api.openapi import BLANK, VERSION_PATTERN, trimmed, write_route_openapi
from itg.api.processes import LIMIT_DIGITS, processes_route_openapi
from itg.services.registry import SERVICES


def test_blank_is_exactly_what_str_strip_removes():
    # The server trims with str.strip(); the documented class must name the same characters.
    stripped = {chr(c) for c in range(sys.maxunicode + 1) if ("a" + chr(c)).strip() == "a"}
    blank = re.compile(BLANK)
    matched = {chr(c) for c in range(sys.maxunicode + 1) if blank.fullmatch(chr(c))}
    assert matched == stripped


@pytest.mark.parametrize("value", ["", "   ", "v2", "V2", " v2\t", "\u00a0v2\u3000"])
def test_version_pattern_accepts_what_the_server_serves(value):
    assert re.search(VERSION_PATTERN, value)


@pytest.mark.parametrize("value", ["v1", "v2x", "2", "v 2", "\ufeffv2"])
def test_version_pattern_refuses_what_the_server_refuses(value):
    assert not re.search(VERSION_PATTERN, value)


def test_limit_pattern_is_one_to_four_digits_worth_1_to_500():
    limit = re.compile(trimmed(LIMIT_DIGITS))
    accepted = {
        text
        for width in range(1, 6)
        for n in range(10**width)
        if limit.search(text := str(n).zfill(width))
    }
    expected = {
        str(n).zfill(width) for width in range(1, 5) for n in range(1, 501) if len(str(n)) <= width
    }
    assert accepted - {""} == expected


def test_blank_filters_are_documented_as_not_given():
    parameters = processes_route_openapi()["openapi_extra"]["parameters"]
    schemas = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
    for name in ("status", "route"):
        assert re.search(schemas[name]["pattern"], " \t")
    assert re.search(schemas["since"]["anyOf"][1]["pattern"], "")
    assert re.search(schemas["limit"]["anyOf"][1]["pattern"], " ")


@pytest.mark.parametrize("route", sorted(SERVICES))
def test_record_schemas_describe_without_constraining(route):
    operation = write_route_openapi(SERVICES[route].doc, "accepted", 1000)
    body = operation["openapi_extra"]["requestBody"]["content"]["application/json"]["schema"]
    # The request-level checks of SPEC 1.4 are the constraints ...
    assert (body["type"], body["minItems"], body["maxItems"]) == ("array", 1, 1000)
    record = body["items"]
    assert record["type"] == "object"
    # ... and no record field is one: none is required, each accepts any JSON value.
    assert "required" not in record
    assert record["additionalProperties"] is not False
    for name, field in record["properties"].items():
        any_value = [branch for branch in field["anyOf"] if set(branch) <= {"description"}]
        assert any_value, name
        assert field["x-itg-required"], name
