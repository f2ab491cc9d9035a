"""schemathesis, a schema-driven fuzzer, against a live `itg serve` (SPEC 6, 1.7; issue 8).

It loads /openapi.json from the server and runs every phase (examples, coverage, fuzzing,
stateful) on every operation with every check, as the service user: no server error, no
response that breaks the document, no valid request refused and no invalid one accepted. The
response-time check is the only one left out (it is enabled only by a limit, and none is set).

Three rules of the SPEC cannot be written in OpenAPI, and the failures they cause are the only
ones dropped (see `beyond_openapi`): `GET /process` needs one of `subunique`/`unique`,
`GET /processes?cursor=` takes only a cursor the server issued, and an `Idempotency-Key` the
fuzzer already sent with another body is 422 (SPEC 1.8: state, not shape).

Deterministic (fixed seed, derandomized generation, no example database on disk) and bounded
(EXAMPLES per operation), on SQLite and on the real PostgreSQL of the test fixtures.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from schemathesis import Case, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.hooks import HookContext

from itg.api.openapi import PUBLIC_PATHS
from tests.processes import Itg, Server

pytestmark = pytest.mark.e2e

EXAMPLES = 50  # per operation and phase
SEED = 20260801
# Checks that must be on (all of schemathesis's are, but the response-time one needs a limit).
NAMED_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
}


REJECTION_STATUSES = [
    *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"),
    "5xx",
]  # schemathesis 4.32's default list (NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES) + 413


def fuzzer_config(server: Server) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "request-timeout": 30,
            "auth": {
                "basic": {
                    "username": server.credentials.username,
                    "password": server.credentials.password,
                }
            },
            "checks": {
                "enabled": True,
                # schemathesis's statuses for a refused invalid request, plus 413: a body over
                # ITG_MAX_BODY_BYTES (an array beyond maxItems can be) is refused before it is
                # parsed (SPEC 1.4, check 2).
                "negative_data_rejection": {"expected-statuses": REJECTION_STATUSES},
            },
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",  # no example database: every run starts from the seed
                # The credentials are configured, not generated: schemathesis 4.32's stateful phase
                # re-sends them on a case it meant to send without, then calls its 200 a failure.
                # `ignored_auth` still checks that requests without (valid) credentials fail.
                "with-security-parameters": False,
            },
        }
    )


def _given(query: dict[str, Any] | None, name: str) -> bool:
    value = (query or {}).get(name)
    return isinstance(value, str) and value.strip() != ""


def beyond_openapi(_context: HookContext, failure: Failure, case: Case, response: Response) -> bool:
    """False (drop) for the refusals of the two rules OpenAPI cannot state, exactly as the
    SPEC words them; any other failure is kept."""
    if failure.code != "ST202" or response.status_code not in (400, 422):  # positive refused
        return True
    message = orjson.loads(response.content).get("error", {}).get("message")
    if response.status_code == 422:  # SPEC 1.8: the fuzzer reused a key with another body
        return message != "Idempotency-Key already used for a different request"
    query = case.query
    if case.path == "/process" and message == "subunique is required":
        return _given(query, "subunique") or _given(query, "unique")  # SPEC 1.6: one of them
    if case.path == "/processes" and message == "Invalid cursor":
        return not _given(query, "cursor")  # SPEC 1.7: the previous page's `next_cursor`
    return True


def describe(failure: Failure, case: Case, code_sample: str) -> str:
    """The failure, where it was generated (phase, mode, scenario) and how to reproduce it."""
    origin = (
        ""
        if case.meta is None
        else f" [{case.meta.phase.name} {case.meta.generation.mode}: {case.meta.phase.data!r}]"
    )
    return f"{failure.operation}: {failure.title}{origin}\n{failure.message}\n{code_sample}"


def run_fuzzer(server: Server) -> tuple[list[str], dict[str, set[int]], StopReason | None]:
    """Every failure and error found (described), the statuses each operation answered, and
    why the run stopped."""
    schema = schemathesis.openapi.from_url(
        f"{server.base_url}/openapi.json", config=fuzzer_config(server)
    )
    schema.hook("filter_failure")(beyond_openapi)
    statuses: dict[str, set[int]] = {}

    @schema.hook("after_call")
    def record_status(_context: HookContext, case: Case, response: Response) -> None:
        statuses.setdefault(case.operation.label, set()).add(response.status_code)

    check_config = schema.config.checks_config_for()
    assert all(check_config.get_by_name(name=name).enabled for name in NAMED_CHECKS)
    assert not check_config.max_response_time.enabled
    problems: list[str] = []
    stop_reason = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.status in (Status.FAILURE, Status.ERROR):
                found = [
                    describe(
                        check.failure_info.failure,
                        event.recorder.cases[case_id].value,
                        check.failure_info.code_sample,
                    )
                    for case_id, checks in event.recorder.checks.items()
                    for check in checks
                    if check.failure_info is not None
                ]
                problems.extend(found or [f"{event.label}: {event.status} in {event.phase}"])
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: {event.info.title}\n{event.info}")
        elif isinstance(event, events.FatalError):
            problems.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason
    return problems, statuses, stop_reason


def test_schemathesis_finds_nothing(itg: Itg) -> None:
    # Given a real server with one worker, on a fresh database of either engine
    server = itg.serve(workers=1)
    with server.client() as client:
        document = client.get("/openapi.json").json()
    operations = {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }
    assert {"POST /people", "GET /process", "GET /processes"} <= operations
    assert not {f"GET {path}" for path in PUBLIC_PATHS} - operations

    # When schemathesis runs every phase and check on every operation
    problems, statuses, stop_reason = run_fuzzer(server)

    # Then it finds nothing, having had every operation succeed (its credentials work, and the
    # links of the 200s reach the monitor and the dashboard), and the server logged no traceback
    assert problems == [], "\n\n".join([*problems, "server log (tail):", server.log[-6000:]])
    assert stop_reason == StopReason.COMPLETED
    # (a cancel answers 200 only while its process is unfinished, and the embedded worker may
    # finish it first: a 409 shows as well that the link reached a real process)
    reached = {
        label
        for label, seen in statuses.items()
        if any(200 <= s < 300 for s in seen) or (label == "POST /process/cancel" and 409 in seen)
    }
    assert reached == operations, statuses
    assert "Traceback" not in server.log, server.log


# -- what the fuzzer found, pinned: text PostgreSQL cannot hold (U+0000) in ids and usernames


def test_a_nul_in_an_id_or_a_username_is_not_a_server_error(itg: Itg) -> None:
    # Given a real server (PostgreSQL refuses U+0000 in any text parameter)
    server = itg.serve(workers=0)
    with server.client() as client:
        # When an id holding U+0000 is looked up, through the monitor or the dashboard
        for path in (
            "/process?subunique=a%00b",
            "/process?unique=a%00b",
            "/dashboard/process/a%00b",
        ):
            response = client.get(path)
            # Then it is unknown, like any id that cannot exist (SPEC 1.6)
            assert (response.status_code, response.json()["error"]) == (
                404,
                {"code": 404, "message": "Process not found"},
            ), path

    # When the Basic credentials name a user holding U+0000
    token = base64.b64encode(b"a\x00b:password").decode()
    response = httpx.get(
        f"{server.base_url}/process?subunique=0badf00d",
        headers={"Authorization": f"Basic {token}"},
        timeout=10.0,
    )
    # Then no such user exists (SPEC 1.1)
    assert (response.status_code, response.json()["error"]) == (
        401,
        {"code": 401, "message": "Unauthorized"},
    )
    assert response.headers["www-authenticate"] == 'Basic realm="itg"'
    assert "Traceback" not in server.log, server.log
