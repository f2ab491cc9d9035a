"""How a route documents its records in /openapi.json and /docs (SPEC 1.7, 6).

Each service module declares its `RouteDoc` next to the rules it describes (its `doc`);
itg/api/openapi.py turns it into the route's OpenAPI operation. Documentation data only:
each field lists its JSON type, when it is required, the rule with the message it produces
(SPEC 2.3–2.8) and, where one exists, the form of a valid value as JSON Schema keywords
(`form`). These describe; they are not request-level constraints (see itg.api.openapi).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEXT = "text"  # a JSON string or number (numbers become their decimal text)
BOOLEAN = "boolean"  # true/false or "true"/"false"/"1"/"0"
TEXT_LIST = "text list"


@dataclass(frozen=True)
class FieldDoc:
    name: str
    kind: str
    required: str  # "yes", "on insert", "INS/ALT", "no", …
    rule: str
    form: Mapping[str, Any] | None = None  # JSON Schema keywords of a valid value


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    fields: tuple[FieldDoc, ...]
    example: list[dict[str, Any]]


def chars(maximum: int, minimum: int = 1) -> Mapping[str, Any]:
    return {"minLength": minimum, "maxLength": maximum}


# Forms shared by several routes.
ISO_DATE = {"format": "date", "examples": ["2024-03-15"]}
EMAIL = {"format": "email", "maxLength": 254, "examples": ["ana@example.com"]}
