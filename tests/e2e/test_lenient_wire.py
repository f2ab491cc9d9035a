"""Hand-written connectors against a real `itg serve` (issue 11): the error superset of
SPEC 1.2 on every error, lenient paths (SPEC 1.1), body encodings (SPEC 1.4 check 3), the
Accept-Version echo (SPEC 1.3), and the legacy habits docs/migrating.md describes.

One server for the module (its checks read, or add requests to their own company's queue
without depending on the others), spoken to over a real socket with exact raw paths.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest

from itg.api.openapi import ERROR_SCHEMA
from tests.errors import assert_error, error_body
from tests.processes import (
    CONSOLE_SCRIPT,
    Credentials,
    Server,
    environment,
    run_itg,
    start_server,
)

pytestmark = pytest.mark.e2e

FINAL = {"done", "warning", "error"}
SETTLE_SECONDS = 60.0  # generous: a loaded 2-core machine
COST_CENTER = [{"codigo": "C1", "nome": "Centro 1"}]
ONE_MIB = 1_048_576


class Wire:
    """The module's server, its all-routes user and a user allowed only `people`."""

    def __init__(self, server: Server, people_only: Credentials) -> None:
        self.server = server
        self.url = server.base_url
        self.user = server.credentials
        self.people_only = people_only
        self.http = httpx.Client(timeout=30.0, follow_redirects=False)

    def auth(self, user: Credentials | None = None) -> dict[str, str]:
        user = user or self.user
        token = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        user: Credentials | None = None,
        anonymous: bool = False,
    ) -> httpx.Response:
        """`path` is sent byte for byte (`//people` stays `//people`)."""
        sent = {} if anonymous else self.auth(user)
        return self.http.request(
            method, self.url + path, content=content, headers={**sent, **(headers or {})}
        )

    def post_json(self, path: str, records: Any, **options: Any) -> httpx.Response:
        return self.request("POST", path, content=orjson.dumps(records), **options)

    def report(self, subunique: str) -> dict[str, Any]:
        """The monitor body once the process is final."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            response = self.request("GET", f"/process?subunique={subunique}")
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if body["status"] in FINAL:
                return body
            if time.monotonic() > deadline:
                pytest.fail(f"{subunique} not final within {SETTLE_SECONDS} s: {body}")
            time.sleep(0.1)

    def subuniques(self) -> set[str]:
        """Every stored request of the company (a refusal must add none)."""
        response = self.request("GET", "/processes?limit=500")
        assert response.status_code == 200, response.text
        return {process["subunique"] for process in response.json()["processes"]}


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    workdir = tmp_path_factory.mktemp("wire")
    env = environment(f"sqlite:///{workdir / 'itg.db'}")
    user = Credentials.of(run_itg("init", "--json", cwd=workdir, env=env))
    created = run_itg(
        "user", "create", "people-only", "--company", user.company, "--routes", "people",
        "--json", cwd=workdir, env=env,
    )  # fmt: skip
    server = start_server(
        CONSOLE_SCRIPT,
        "--workers",
        "1",
        cwd=workdir,
        env=env,
        log_path=workdir / "serve.log",
        credentials=user,
    )
    connection = Wire(server, Credentials.of(created))
    try:
        yield connection
        connection.http.close()
        server.stop_cleanly()
    finally:
        server.end()


# --- SPEC 1.2: every error body is the superset ---------------------------------------------


ERRORS = [
    # (method, path, request options, status, message)
    ("POST", "/people", {"anonymous": True}, 401, "Unauthorized"),
    ("POST", "/people", {"headers": {"Authorization": "Basic ???"}}, 400,
     "Malformed Authorization header"),
    ("GET", "/process?subunique=0badf00d", {"user": "people_only"}, 403, "Forbidden"),
    ("GET", "/nothing-here", {}, 404, "Not Found"),
    ("DELETE", "/people", {}, 405, "Method Not Allowed"),
    ("POST", "/people", {"content": b"[" + b" " * ONE_MIB + b"]"}, 413,
     "Request body exceeds 1 MiB"),
    ("POST", "/people", {"content": b"{"}, 400, "Invalid JSON"),
    ("POST", "/people", {"content": b"{}"}, 400, "Request format must be an Array"),
    ("POST", "/people", {"headers": {"Accept-Version": "v1"}}, 400,
     "Unsupported Accept-Version: v1"),
    ("GET", "/process", {}, 400, "subunique is required"),
    ("GET", "/process?subunique=0badf00d", {}, 404, "Process not found"),
    ("GET", "/processes?limit=0", {}, 400, "limit must be between 1 and 500"),
    ("GET", "/dashboard/process/0badf00d", {}, 404, "Process not found"),
    ("GET", "/dashboard", {"anonymous": True}, 401, "Unauthorized"),
    ("GET", "/dashboard?cursor=nope", {}, 400, "Invalid cursor"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "options", "status", "message"), ERRORS)
def test_every_error_body_is_enveloped_and_flat_at_once(
    wire: Wire, method, path, options, status, message
):
    # Given a request the server refuses, on any route
    options = dict(options)
    if options.get("user") == "people_only":
        options["user"] = wire.people_only
    options.setdefault("content", orjson.dumps(COST_CENTER))
    # When it is sent
    response = wire.request(method, path, **options)
    # Then the body carries the envelope and the flat copy, with the same values
    assert_error(response, status, message)
    body = response.json()
    assert body["error"] == {"code": body["code"], "message": body["message"]}
    # and it is what the OpenAPI document promises
    jsonschema_rs.validate(ERROR_SCHEMA, body)


def test_the_openapi_error_schema_requires_both_shapes_and_its_examples_have_them(wire: Wire):
    # Given the server's OpenAPI document
    document = wire.request("GET", "/openapi.json", anonymous=True).json()
    # When every documented error response is read
    documented = [
        (int(status), answer["content"]["application/json"])
        for operations in document["paths"].values()
        for operation in operations.values()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
    ]
    # Then each requires the envelope and the flat keys, and its example is the superset
    assert len(documented) > 20
    for status, media in documented:
        assert media["schema"]["required"] == ["error", "code", "message"]
        example = media["example"]
        assert example == error_body(status, example["message"])
        jsonschema_rs.validate(media["schema"], example)


# --- SPEC 1.1: lenient paths ------------------------------------------------------------------

WRITE_ROUTES = {
    "/people": ([{"matricula": "P1", "nome": "Ana", "sem_pis": True,
                  "dataAdmissao": "01/02/2024"}], "People Integration on progress"),
    "/absences": ([{"operation": "DEL", "cod_interno": "none"}],
                  "Absences Integration on progress"),
    "/paymentDate": ([{"ano": "2024", "mes": "3", "dataPagamento": "2024-04-05"}],
                     "Payment date Integration on progress"),
    "/anticipate": ([{"operation": "DEL", "cod_interno": "none"}],
                    "Anticipate Integration on progress"),
    "/subsidiaries": ([{"numeroCadastro": "11.222.333/0001-81", "razaoSocial": "Filial"}],
                      "Subsidiaries Integration on progress"),
    "/costcenter": (COST_CENTER, "Cost center's Integration on progress"),
    "/users": ([{"email": "maria@example.com", "nome": "Maria", "perfil": "Gestor"}],
               "User´s Integration on progress"),
}  # fmt: skip


def variants(path: str) -> list[str]:
    """Lenient spellings of a route path: other cases, a trailing slash, doubled slashes."""
    return [
        path.lower(),
        path.upper(),
        path.swapcase(),
        path + "/",
        "/" + path,
        path.replace("/", "///") + "//",
        "/" + path.upper() + "/",
    ]


@pytest.mark.parametrize(
    ("route", "sent"),
    [(route, sent) for route in WRITE_ROUTES for sent in variants(route)],
)
def test_a_write_route_is_served_under_a_lenient_path_without_a_redirect(wire: Wire, route, sent):
    # Given a route name in another case, with a trailing slash or doubled slashes
    records, message = WRITE_ROUTES[route]
    # When records are posted to it
    response = wire.post_json(sent, records)
    # Then the route itself accepts them where they arrived (no 3xx, the body was not lost)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == message
    # and the request is stored under the route's canonical name
    assert wire.report(response.json()["subunique"])["route"] == route.lstrip("/")


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        ("/process", 400),  # reached the monitor: it asks for a subunique
        ("/processes", 200),
        ("/dashboard", 200),
        ("/healthz", 200),
        ("/metrics", 200),
        ("/docs", 200),
        ("/openapi.json", 200),
    ],
)
def test_every_read_route_is_served_under_a_lenient_path(wire: Wire, canonical, expected):
    # Given the answer of the exact path
    exact = wire.request("GET", canonical)
    assert exact.status_code == expected
    for sent in variants(canonical):
        # When the same route is asked under a lenient spelling
        response = wire.request("GET", sent)
        # Then it answers as the exact path does, where it arrived
        assert response.status_code == expected, (sent, response.text)
        assert response.headers["content-type"] == exact.headers["content-type"]
        if canonical == "/process":
            assert_error(response, 400, "subunique is required")


def test_a_dashboard_page_path_ignores_the_case_of_its_names_but_not_of_the_id(wire: Wire):
    # Given an accepted process
    accepted = wire.post_json("/costcenter", COST_CENTER).json()
    subunique = accepted["subunique"]
    wire.report(subunique)
    # When its dashboard page is asked with the route names in another case and extra slashes
    page = wire.request("GET", f"//Dashboard/PROCESS/{subunique}/")
    # Then the page is served
    assert page.status_code == 200
    assert subunique in page.text
    # but the id itself is not case-folded: ids are lowercase, an uppercase one is unknown
    assert_error(
        wire.request("GET", f"/dashboard/process/{subunique.upper()}"), 404, "Process not found"
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("POST", "/peoples", 404, "Not Found"),
        ("POST", "/people/x", 404, "Not Found"),
        ("POST", "/people//x", 404, "Not Found"),
        ("POST", "/pe ople", 404, "Not Found"),
        ("GET", "/", 404, "Not Found"),
        ("GET", "//", 404, "Not Found"),
        ("GET", "/process/extra", 404, "Not Found"),
        ("GET", "/PEOPLE/", 405, "Method Not Allowed"),
        ("PUT", "//costCenter", 405, "Method Not Allowed"),
        ("POST", "/Process/", 405, "Method Not Allowed"),
        ("POST", "/HEALTHZ", 405, "Method Not Allowed"),
    ],
)
@pytest.mark.parametrize("with_credentials", [False, True], ids=["anonymous", "authenticated"])
def test_unknown_paths_are_still_404_and_wrong_methods_405(
    wire: Wire, method, path, status, message, with_credentials
):
    before = wire.subuniques()
    # When a path that names no route, or a route with the wrong method, is requested
    response = wire.request(
        method, path, content=orjson.dumps(COST_CENTER), anonymous=not with_credentials
    )
    # Then routing answers first, with the JSON body, and nothing is stored
    assert_error(response, status, message)
    assert wire.subuniques() == before


# --- SPEC 1.4 check 3: encodings ----------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


def json_type(charset: str) -> dict[str, str]:
    return {"Content-Type": f"application/json; charset={charset}"}


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        pytest.param(b'[{"codigo":"\xe9"}]', {}, "Request body is not valid UTF-8",
                     id="latin-1-bytes-undeclared"),
        pytest.param(b'[{"codigo":"C\xff1"}]', {}, "Request body is not valid UTF-8",
                     id="invalid-utf-8-in-a-string"),
        pytest.param("[{}]".encode("utf-16"), {}, "Request body is not valid UTF-8",
                     id="utf-16-undeclared"),
        pytest.param(b'[{"codigo":"\xc3"}]', json_type("utf-8"),
                     "Request body is not valid UTF-8", id="truncated-utf-8-declared"),
        pytest.param(b'[{"codigo":"\xff"}]', json_type("UTF8"),
                     "Request body is not valid UTF-8", id="utf8-spelled-otherwise"),
        pytest.param(b"\xff{", {}, "Request body is not valid UTF-8",
                     id="neither-utf-8-nor-json"),
        pytest.param(b'[{"codigo":"\x81"}]', json_type("windows-1252"),
                     "Request body is not valid windows-1252", id="undefined-in-cp1252"),
        pytest.param(b'[{"codigo":"x"}]\x00', json_type("utf-16"),
                     "Request body is not valid utf-16", id="odd-length-utf-16"),
        pytest.param(b'[{"codigo":"x"}]', json_type("klingon"), "Unsupported charset: klingon",
                     id="unknown-charset"),
        pytest.param(b'[{"codigo":"x"}]', json_type('"ebcdic-x"'),
                     "Unsupported charset: ebcdic-x", id="quoted-unknown-charset"),
        pytest.param(b'[{"codigo":"x"}]', json_type("rot13"), "Unsupported charset: rot13",
                     id="a-codec-that-is-no-text-encoding"),
        pytest.param(b"not json", json_type("klingon"), "Unsupported charset: klingon",
                     id="charset-before-json"),
        pytest.param(BOM + BOM + b"[]", {}, "Invalid JSON", id="only-one-bom-is-ignored"),
        pytest.param(BOM + b"{}", {}, "Request format must be an Array", id="bom-then-object"),
        pytest.param('{"codigo":"é"}'.encode("cp1252"), json_type("windows-1252"),
                     "Request format must be an Array", id="decoded-then-shape-checked"),
        pytest.param("[1]".encode("utf-16"), json_type("utf-16"),
                     "Record at index 0 must be an object", id="utf-16-then-shape-checked"),
    ],
)  # fmt: skip
def test_a_body_not_valid_in_its_encoding_is_refused_naming_it(wire: Wire, body, headers, message):
    before = wire.subuniques()
    # When a write request's body does not decode, or names an unknown charset
    response = wire.request("POST", "/costcenter", content=body, headers=headers)
    # Then it is refused with the charset named, and nothing is stored
    assert_error(response, 400, message)
    assert wire.subuniques() == before


def test_the_size_limit_comes_before_the_charset(wire: Wire):
    # Given a body over 1 MiB with an unknown charset
    body = b"[" + b" " * ONE_MIB + b"]"
    # When it is posted, Then the size is refused first (SPEC 1.4 check 2 before 3)
    response = wire.request("POST", "/costcenter", content=body, headers=json_type("klingon"))
    assert_error(response, 413, "Request body exceeds 1 MiB")


def test_credentials_come_before_the_charset(wire: Wire):
    response = wire.request(
        "POST", "/costcenter", content=b"[]", headers=json_type("klingon"), anonymous=True
    )
    assert_error(response, 401, "Unauthorized")


# --- SPEC 1.3: the Accept-Version echo (check only) -------------------------------------------


def test_an_unsupported_version_is_echoed_as_sent_without_mojibake(wire: Wire):
    # Given a version value with a non-ASCII character, sent as UTF-8 bytes
    headers = [(b"Authorization", wire.auth()["Authorization"].encode()),
               (b"Accept-Version", "vé".encode())]  # fmt: skip
    # When it is sent over a real socket
    response = wire.http.request(
        "POST", wire.url + "/costcenter", content=orjson.dumps(COST_CENTER), headers=headers
    )
    # Then the message names it as sent
    assert_error(response, 400, "Unsupported Accept-Version: vé")


# --- docs/migrating.md: legacy habits -----------------------------------------------------------


def test_legacy_dates_are_refused_and_legacy_only_fields_ignored(wire: Wire):
    # Given people as connectors of the older APIs send them
    people = [
        {"matricula": "L1", "nome": "Datas antigas", "sem_pis": True, "dataAdmissao": "01022024"},
        {"matricula": "L2", "nome": "ISO", "sem_pis": True, "dataAdmissao": "2024-02-01"},
        {"matricula": "L3", "nome": "Departamento", "sem_pis": True,
         "dataAdmissao": "01/02/2024", "departamento": "RH"},
    ]  # fmt: skip
    # When they are posted
    accepted = wire.post_json("/people", people)
    assert accepted.status_code == 200
    report = wire.report(accepted.json()["subunique"])
    # Then the DDMMAAAA and ISO dates fail with the date's message, and `departamento` is
    # ignored: that person is applied
    assert report["status"] == "warning"
    assert report["data"]["errors"] == [
        {"identifier": "L1", "index": 0, "message": ["Data de admissão inválida"]},
        {"identifier": "L2", "index": 1, "message": ["Data de admissão inválida"]},
    ]
