"""OpenAPI descriptions of the routes: record schemas, examples, the error shape and statuses.

The handlers read raw requests (one bounded read, one parse), so FastAPI cannot infer these
schemas; they are written here from each service's `doc` (itg/services/docs.py) instead.

What the document promises (SPEC 1.7, 6; docs/decisions.md "OpenAPI"): every request-level
constraint exactly as the server checks it (the shape checks of 1.4, `Accept-Version` of 1.3,
the query parameters of 1.6/1.7, Basic auth of 1.1), and record schemas that only *describe*
the fields: records are validated after the 200, so a record with a wrong field is still a
valid request. Each field's schema is `anyOf` its expected form and any JSON value, so a
schema-driven client or fuzzer agrees with the server on which requests are well formed.
"""

from __future__ import annotations

from typing import Any

from itg.api.responses import error_body
from itg.outcomes import STATUSES
from itg.permissions import write_routes
from itg.services.docs import BOOLEAN, TEXT_LIST, FieldDoc, RouteDoc

# What Python's `str.strip()` removes (the characters whose `isspace()` is true), spelled
# out: `\s` differs between regex engines (ECMA adds U+FEFF, Rust and ECMA lack U+001C–1F).
BLANK = (
    r"[\t\n\u000b\u000c\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029"
    r"\u202f\u205f\u3000]"
)


def trimmed(alternatives: str) -> str:
    """A pattern for a value the server trims, where blank counts as not given."""
    return f"^{BLANK}*({alternatives})?{BLANK}*$"


VERSION_PATTERN = trimmed("[vV]2")
ID_PATTERN = "^[0-9a-f]{8}$"
BASIC_AUTH = "basic"
# SPEC 1.1: the routes that need no credentials (/docs and /openapi.json are not listed).
PUBLIC_PATHS = ("/healthz", "/readyz", "/metrics")

# SPEC 1.2: both shapes at once, the envelope of the public authentication page and the flat
# copy of its cost center page, with the same values.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "code", "message"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        },
        "code": {"type": "integer", "description": "The same as `error.code` (SPEC 1.2)"},
        "message": {"type": "string", "description": "The same as `error.message` (SPEC 1.2)"},
    },
}

# status -> (when it happens, an example message)
AUTH_ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "Malformed Authorization header, or `Unsupported Accept-Version: <value>`",
        "Malformed Authorization header",
    ),
    401: ("Missing or wrong credentials, or a disabled user", "Unauthorized"),
    403: ("The company is disabled or the route is not allowed", "Forbidden"),
    500: ("A fault of the server (never shows internals)", "Internal Server Error"),
}

CHALLENGE_HEADER = {
    "WWW-Authenticate": {
        "description": 'Always `Basic realm="itg"`',
        "required": True,
        "schema": {"type": "string", "const": 'Basic realm="itg"'},
    }
}

COUNT_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[0-9]+$"}
PROGRESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["done", "total"],
    "properties": {"done": COUNT_SCHEMA, "total": COUNT_SCHEMA},
    "additionalProperties": False,
}
STATUS_SCHEMA: dict[str, Any] = {"type": "string", "enum": list(STATUSES)}
TIME_SCHEMA: dict[str, Any] = {"type": "string", "format": "date-time"}


def route_schema() -> dict[str, Any]:
    """A write route's name: one of the registry's, read when the document is built."""
    return {"type": "string", "enum": list(write_routes())}


VERSION_DESCRIPTION = (
    "`v2` in any case; trimmed, and absent or blank means `v2`. Anything else is 400 "
    "`Unsupported Accept-Version: <trimmed value>`. It may also be sent as the query parameter "
    "`Accept-Version`, which counts only when the header is absent (SPEC 1.3)."
)


def version_parameters() -> list[dict[str, Any]]:
    """`Accept-Version` as the header every versioned route reads (SPEC 1.3).

    The query form is described, not declared: it counts only when the header is absent, which
    OpenAPI cannot say, so a declared pattern would be a promise the server does not keep
    whenever a valid header makes it ignore an invalid query value.
    """
    return [
        {
            "name": "Accept-Version",
            "in": "header",
            "description": VERSION_DESCRIPTION,
            "schema": {"type": "string", "pattern": VERSION_PATTERN, "examples": ["v2"]},
        }
    ]


def declare_basic_auth(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare HTTP Basic for every operation but the public ones (SPEC 1.1).

    Authentication is done by the handlers (itg.api.auth), not by FastAPI dependencies, so the
    scheme is added to the generated document here (itg.api.app.ItgApp.openapi).
    """
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BASIC_AUTH] = {
        "type": "http",
        "scheme": "basic",
        "description": "A service user of one company (`itg user add`, SPEC 1.1)",
    }
    schema["security"] = [{BASIC_AUTH: []}]
    for path in PUBLIC_PATHS:
        for operation in schema["paths"].get(path, {}).values():
            operation["security"] = []
    return schema


def error_responses(
    extra: dict[int, tuple[str, str]], *, retry_after: bool = False
) -> dict[int | str, dict[str, Any]]:
    """Documented error responses: the auth/version ones every route has, plus `extra` (a 429
    with its `Retry-After` header when `retry_after`)."""
    described = {**AUTH_ERRORS, **extra}
    responses: dict[int | str, dict[str, Any]] = {}
    for status, (description, example) in sorted(described.items()):
        responses[status] = {
            "description": description,
            "content": {
                "application/json": {
                    "schema": ERROR_SCHEMA,
                    "example": error_body(status, example),
                }
            },
        }
        if status == 401:
            responses[status]["headers"] = CHALLENGE_HEADER
        if status == 429 and retry_after:
            responses[status]["headers"] = RETRY_AFTER_HEADER
    return responses


def _field_schema(field: FieldDoc) -> dict[str, Any]:
    """The field's expected form, or any other JSON value: still a valid request (SPEC 1.4),
    refused per record later (SPEC 2.1: `Campo inválido: <campo>` and the like)."""
    if field.kind == BOOLEAN:
        expected: dict[str, Any] = {
            "type": ["boolean", "string", "null"],
            "pattern": trimmed("[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|1|0"),
        }
    elif field.kind == TEXT_LIST:
        expected = {"type": ["array", "null"], "items": {"type": "string"}}
    else:
        expected = {"type": ["string", "number", "null"], **(field.form or {})}
    return {
        "description": f"{field.rule}. Required: {field.required}.",
        "x-itg-required": field.required,
        "anyOf": [
            expected,
            {"description": "Any other value: accepted here, refused when the record is applied"},
        ],
    }


def accepted_schema(accepted_message: str) -> dict[str, Any]:
    """The 200 of a write route: exactly these four keys (SPEC 1.4)."""
    return {
        "type": "object",
        "required": ["company", "unique", "subunique", "message"],
        "properties": {
            "company": {"type": "string"},
            "unique": {"type": "string", "pattern": ID_PATTERN},
            "subunique": {"type": "string", "pattern": ID_PATTERN},
            "message": {"type": "string", "const": accepted_message},
        },
        "additionalProperties": False,
    }


def write_route_openapi(doc: RouteDoc, accepted_message: str, max_records: int) -> dict[str, Any]:
    """Keyword arguments for `add_api_route` documenting one write route."""
    record_schema = {
        "type": "object",
        "description": (
            "One record. The field schemas describe; none is checked before the 200 "
            "(`x-itg-required` says when the worker requires a field)."
        ),
        "properties": {field.name: _field_schema(field) for field in doc.fields},
        "additionalProperties": {"description": "Unknown fields are ignored (SPEC 2.1)"},
    }
    field_table = "\n".join(
        f"| `{f.name}` | {f.kind} | {f.required} | {f.rule} |" for f in doc.fields
    )
    return {
        "summary": doc.summary,
        "description": (
            f"A JSON array of 1–{max_records} records (objects), checked for shape only, stored "
            "and answered at once; the records are validated and applied in the background and "
            "their outcome is read from `GET /process`. A record with a missing or malformed "
            "field is accepted here and fails there with its message. The body is UTF-8 (one "
            "leading byte-order mark is ignored) unless `Content-Type` names another "
            "`charset`, e.g. `application/json; charset=windows-1252`.\n\n"
            "| field | type | required | rule |\n|---|---|---|---|\n"
            f"{field_table}"
        ),
        "tags": ["write services"],
        "openapi_extra": {
            "parameters": [*version_parameters(), IDEMPOTENCY_KEY_PARAMETER, DRY_RUN_PARAMETER],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": max_records,
                            "items": record_schema,
                        },
                        "example": doc.example,
                    }
                },
            },
        },
        "responses": {
            200: {
                "description": (
                    "Accepted: stored durably, to be applied in the background (or, with "
                    "`Idempotent-Replayed: true`, the answer of the request first sent under "
                    "this Idempotency-Key, byte for byte; nothing new stored). With "
                    "`?dry_run=true`: the records' outcome had they been applied now, nothing "
                    "stored (SPEC 1.11)"
                ),
                "headers": {
                    "Idempotent-Replayed": {
                        "description": "`true` on a replay of an Idempotency-Key (SPEC 1.8)",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
                },
                "content": {
                    "application/json": {
                        "schema": {"anyOf": [accepted_schema(accepted_message), DRY_RUN_SCHEMA]},
                        "examples": {
                            "accepted": {
                                "value": {
                                    "company": "a000101",
                                    "unique": "bd751350",
                                    "subunique": "c01de0cc",
                                    "message": accepted_message,
                                }
                            },
                            "dry_run": {"summary": "With ?dry_run=true", "value": DRY_RUN_EXAMPLE},
                        },
                    }
                },
                "links": {
                    "ProcessBySubunique": {
                        "operationRef": "#/paths/~1process/get",
                        "parameters": {"subunique": "$response.body#/subunique"},
                        "description": "The monitor of this request",
                    },
                    "ProcessByUnique": {
                        "operationRef": "#/paths/~1process/get",
                        "parameters": {"unique": "$response.body#/unique"},
                        "description": "The monitor of this request's window",
                    },
                    "DashboardPage": {
                        "operationRef": "#/paths/~1dashboard~1process~1{subunique}/get",
                        "parameters": {"subunique": "$response.body#/subunique"},
                        "description": "This request's page of the dashboard",
                    },
                    "CancelProcess": {
                        "operationRef": "#/paths/~1process~1cancel/post",
                        "parameters": {"subunique": "$response.body#/subunique"},
                        "description": "Cancel this request (SPEC 1.9)",
                    },
                },
            },
            **error_responses(
                {
                    400: (
                        "`Invalid JSON`, `Request body is not valid <charset>` (UTF-8 unless "
                        "Content-Type names a `charset`), `Unsupported charset: <name>`, "
                        "`Request format must be an Array`, "
                        "`Request must contain at least one record`, "
                        f"`Request exceeds {max_records} records`, "
                        "`Record at index <i> must be an object`, `Invalid dry_run`, a malformed "
                        "Authorization header or an unsupported Accept-Version",
                        "Request format must be an Array",
                    ),
                    413: (
                        "The body is larger than ITG_MAX_BODY_BYTES",
                        "Request body exceeds 1 MiB",
                    ),
                    422: (
                        "The Idempotency-Key was already used with another route or body",
                        "Idempotency-Key already used for a different request",
                    ),
                    429: (
                        "`Rate limit exceeded` (ITG_RATE_PER_SECOND) or `Too many records "
                        "waiting to be processed` (ITG_MAX_PENDING_RECORDS); retry after "
                        "`Retry-After` seconds with the same Idempotency-Key",
                        "Too many records waiting to be processed",
                    ),
                },
                retry_after=True,
            ),
        },
    }


# SPEC 1.8: the header of the IETF httpapi draft, on every write route.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": (
        '1–255 visible ASCII characters (or the sf-string `"…"`), scoped to the company: '
        "a retry with the same key and body answers the original 200 again"
    ),
    # A bare key (not starting with a quote), or an sf-string of 1–255 characters whose `"`
    # and `\` are escaped: exactly what itg/api/idempotency_key.py accepts.
    "schema": {
        "type": "string",
        "pattern": r'^(?:[!#-~][!-~]{0,254}|"(?:[!#-\[\]-~]|\\[\\"]){1,255}")$',
    },
}
# SPEC 1.11: validate without applying, on every write route.
DRY_RUN_PARAMETER: dict[str, Any] = {
    "name": "dry_run",
    "in": "query",
    "description": (
        "`true`, `1` or `yes` (any case, trimmed): run every record rule against the company's "
        "committed data and answer the outcome at once, storing nothing (no unique or "
        "subunique; counts against the rate limit, not the backlog; an Idempotency-Key is "
        "checked and otherwise ignored). `false`, `0`, `no`, blank or absent: a real POST. "
        "Any other value is 400 `Invalid dry_run`."
    ),
    "schema": {
        "type": "string",
        "pattern": trimmed("[tT][rR][uU][eE]|1|[yY][eE][sS]|[fF][aA][lL][sS][eE]|0|[nN][oO]"),
        "examples": ["true"],
    },
}
RETRY_AFTER_HEADER: dict[str, Any] = {
    "Retry-After": {
        "description": "Whole seconds to wait before retrying (SPEC 1.2)",
        "schema": {"type": "integer", "minimum": 1},
    }
}


ERROR_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["identifier", "index", "message"],
    "properties": {
        "identifier": {"type": "string", "description": "The record's key as sent (SPEC 2.1)"},
        "index": {"type": "integer", "minimum": 0, "description": "Position in the request"},
        "message": {"type": "array", "items": {"type": "string"}},
        "subunique": {
            "type": "string",
            "pattern": ID_PATTERN,
            "description": "With `?unique=` only: the request the record came in",
        },
    },
    "additionalProperties": False,
}


CANCEL_REQUESTED_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "const": True,
    "description": "Present (and true) once a cancel was requested (SPEC 1.9)",
}


# SPEC 1.11: the 200 of a dry run; status, progress and errors as GET /process shows them.
DRY_RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["company", "dry_run", "status", "progress", "data"],
    "properties": {
        "company": {"type": "string"},
        "dry_run": {"type": "boolean", "const": True},
        "status": {"type": "string", "enum": ["done", "warning", "error"]},
        "progress": PROGRESS_SCHEMA,
        "data": {
            "type": "object",
            "required": ["errors"],
            "properties": {"errors": {"type": "array", "items": ERROR_ENTRY_SCHEMA}},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
DRY_RUN_EXAMPLE: dict[str, Any] = {
    "company": "a000101",
    "dry_run": True,
    "status": "warning",
    "progress": {"done": "2", "total": "2"},
    "data": {"errors": [{"identifier": "01012", "index": 1, "message": ["CPF já cadastrado."]}]},
}


def monitor_schema() -> dict[str, Any]:
    """The body of GET /process (SPEC 1.6)."""
    return {
        "type": "object",
        "required": [
            "data",
            "company",
            "unique",
            "subunique",
            "status",
            "progress",
            "route",
            "created_at",
            "finished_at",
        ],
        "properties": {
            "data": {
                "type": "object",
                "required": ["errors"],
                "properties": {"errors": {"type": "array", "items": ERROR_ENTRY_SCHEMA}},
            },
            "company": {"type": "string"},
            "unique": {"type": "string", "pattern": ID_PATTERN},
            "subunique": {
                "type": ["string", "null"],
                "pattern": ID_PATTERN,
                "description": "`null` with `?unique=`",
            },
            "status": STATUS_SCHEMA,
            "progress": PROGRESS_SCHEMA,
            "route": {
                "type": ["string", "null"],
                "enum": [*write_routes(), None],
                "description": "With `?unique=`: `null` when the window's routes differ",
            },
            "created_at": TIME_SCHEMA,
            "finished_at": {**TIME_SCHEMA, "type": ["string", "null"]},
            "cancel_requested": CANCEL_REQUESTED_SCHEMA,
            "processes": {
                "type": "array",
                "description": "With `?unique=` only: the window's requests in acceptance order",
                "items": {
                    "type": "object",
                    "required": ["subunique", "route", "status", "progress"],
                    "properties": {
                        "subunique": {"type": "string", "pattern": ID_PATTERN},
                        "route": route_schema(),
                        "status": STATUS_SCHEMA,
                        "progress": PROGRESS_SCHEMA,
                        "cancel_requested": CANCEL_REQUESTED_SCHEMA,
                    },
                },
            },
        },
    }


def _id_parameter(name: str, description: str) -> dict[str, Any]:
    # Any text is a well-formed request: an id that cannot exist is simply not found (404).
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "examples": ["1f0c9a2e"]},
    }


def process_route_openapi() -> dict[str, Any]:
    return {
        "summary": "Integration Process Monitor",
        "description": (
            "`?subunique=` reports one request; `?unique=` aggregates a window of requests "
            "(adding `processes` and a `subunique` on each error). One of the two is required "
            '(400 `subunique is required` otherwise; OpenAPI cannot say "one of"): when both '
            "are given `subunique` is used, and a blank value counts as not given. `status` is "
            "`queued`, `processing`, `done`, `warning`, `error` or `canceled`; progress counts are "
            "strings."
        ),
        "tags": ["monitor"],
        "openapi_extra": {
            "parameters": [
                _id_parameter("subunique", "One request's id (trimmed; blank = not given)"),
                _id_parameter("unique", "A window's id (trimmed; blank = not given)"),
                *version_parameters(),
            ]
        },
        "responses": {
            200: {
                "description": "The process",
                "content": {
                    "application/json": {
                        "schema": monitor_schema(),
                        "example": {
                            "data": {
                                "errors": [
                                    {
                                        "identifier": "01011",
                                        "index": 0,
                                        "message": ["CPF Inválido", "E-mail já cadastrado."],
                                    }
                                ]
                            },
                            "company": "a133595",
                            "unique": "8dbf32bc",
                            "subunique": "1f0c9a2e",
                            "status": "warning",
                            "progress": {"done": "3", "total": "3"},
                            "route": "people",
                            "created_at": "2026-11-28T16:00:00Z",
                            "finished_at": "2026-11-28T16:00:01Z",
                        },
                    }
                },
            },
            **error_responses(
                {
                    400: (
                        "Neither subunique nor unique given, a malformed Authorization header "
                        "or an unsupported Accept-Version",
                        "subunique is required",
                    ),
                    404: ("Unknown id, or an id of another company", "Process not found"),
                    410: ("Past ITG_VALIDITY_SECONDS after it finished", "Process expired"),
                }
            ),
        },
    }
