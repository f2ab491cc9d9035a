"""What the crash tests share besides real processes (tests/processes.py) and records
(tests/builders.py): the accepted messages and a POST that must be accepted.

Reads of the outcome go straight to the tables (the requests table is the queue) through
`Itg`, so a test sees exactly what was committed. The fixtures are in conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

Record = dict[str, Any]

ACCEPTED_PEOPLE = "People Integration on progress"
ACCEPTED_COST_CENTERS = "Cost center's Integration on progress"


def body(records: Sequence[Record]) -> bytes:
    return json.dumps(list(records), ensure_ascii=False).encode()


def post(
    client: httpx.Client, route: str, records: Sequence[Record], message: str
) -> dict[str, str]:
    """POST a write request that must be accepted; returns its 200 body."""
    response = client.post(f"/{route}", content=body(records))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ["company", "unique", "subunique", "message"], answer
    assert answer["message"] == message
    return answer
