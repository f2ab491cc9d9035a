"""Records for the client tests."""

from __future__ import annotations

import orjson


def person(number: int, **fields: object) -> dict[str, object]:
    """A valid new employee (no PIS needed), with any extra `fields`."""
    return {
        "matricula": f"{number:05d}",
        "nome": f"Pessoa {number}",
        "sem_pis": True,
        "dataAdmissao": "01/02/2024",
        **fields,
    }


def sized_person(number: int, size: int) -> dict[str, object]:
    """A person whose JSON is exactly `size` bytes, padded by a field the server ignores."""
    record = person(number, padding="")
    record["padding"] = "x" * (size - len(orjson.dumps(record)))
    assert len(orjson.dumps(record)) == size
    return record
