"""OpenAPI descriptions of the routes: record schemas, examples, the error shape and statuses.

The handlers read raw requests (one bounded read, one parse), so FastAPI cannot infer these
schemas; they are written here from the record docs instead.
"""

from __future__ import annotations

from typing import Any

from itg.api.record_docs import BOOLEAN, TEXT_LIST, FieldDoc, RouteDoc

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        }
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

PROGRESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"done": {"type": "string"}, "total": {"type": "string"}},
}


def error_responses(extra: dict[int, tuple[str, str]]) -> dict[int | str, dict[str, Any]]:
    """Documented error responses: the auth/version ones every route has, plus `extra`."""
    described = {**AUTH_ERRORS, **extra}
    return {
        status: {
            "description": description,
            "content": {
                "application/json": {
                    "schema": ERROR_SCHEMA,
                    "example": {"error": {"code": status, "message": example}},
                }
            },
        }
        for status, (description, example) in sorted(described.items())
    }


def _field_schema(field: FieldDoc) -> dict[str, Any]:
    if field.kind == BOOLEAN:
        schema: dict[str, Any] = {"type": ["boolean", "string"]}
    elif field.kind == TEXT_LIST:
        schema = {"type": "array", "items": {"type": "string"}}
    else:
        schema = {"type": ["string", "number"]}
    schema["description"] = f"{field.rule}. Required: {field.required}."
    return schema


def write_route_openapi(doc: RouteDoc, accepted_message: str, max_records: int) -> dict[str, Any]:
    """Keyword arguments for `add_api_route` documenting one write route."""
    record_schema = {
        "type": "object",
        "properties": {field.name: _field_schema(field) for field in doc.fields},
        "required": [field.name for field in doc.fields if field.required == "yes"],
        "additionalProperties": True,
    }
    field_table = "\n".join(
        f"| `{f.name}` | {f.kind} | {f.required} | {f.rule} |" for f in doc.fields
    )
    return {
        "summary": doc.summary,
        "description": (
            f"A JSON array of 1–{max_records} records, checked for shape only, stored and "
            "answered at once; the records are applied in the background and their outcome is "
            "read from `GET /process`.\n\n| field | type | required | rule |\n|---|---|---|---|\n"
            f"{field_table}"
        ),
        "tags": ["write services"],
        "openapi_extra": {
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
            }
        },
        "responses": {
            200: {
                "description": "Accepted: stored durably, to be applied in the background",
                "content": {
                    "application/json": {
                        "example": {
                            "company": "a000101",
                            "unique": "bd751350",
                            "subunique": "c01de0cc",
                            "message": accepted_message,
                        }
                    }
                },
            },
            **error_responses(
                {
                    400: (
                        "`Invalid JSON`, `Request format must be an Array`, "
                        "`Request must contain at least one record`, "
                        f"`Request exceeds {max_records} records`, "
                        "`Record at index <i> must be an object`, a malformed Authorization "
                        "header or an unsupported Accept-Version",
                        "Request format must be an Array",
                    ),
                    413: (
                        "The body is larger than ITG_MAX_BODY_BYTES",
                        "Request body exceeds 1 MiB",
                    ),
                }
            ),
        },
    }


def process_route_openapi() -> dict[str, Any]:
    return {
        "summary": "Integration Process Monitor",
        "description": (
            "`?subunique=` reports one request; `?unique=` aggregates a window of requests "
            "(adding `processes` and a `subunique` on each error). `status` is `queued`, "
            "`processing`, `done`, `warning` or `error`; progress counts are strings."
        ),
        "tags": ["monitor"],
        "openapi_extra": {
            "parameters": [
                {"name": "subunique", "in": "query", "schema": {"type": "string"}},
                {"name": "unique", "in": "query", "schema": {"type": "string"}},
                {"name": "Accept-Version", "in": "header", "schema": {"type": "string"}},
            ]
        },
        "responses": {
            200: {
                "description": "The process",
                "content": {
                    "application/json": {
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
                        }
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
