"""How `send` cuts records into requests: at most N records and at most B bytes of body."""

from __future__ import annotations

import pytest

from itg.client import split_requests


def bodies(sizes: list[int], max_records: int, max_bytes: int) -> list[tuple[int, int, int]]:
    """(first, count, body bytes) of each request; a body is `[` + records joined by `,` + `]`."""
    out = []
    for batch in split_requests(sizes, max_records, max_bytes):
        chunk = sizes[batch.start : batch.stop]
        out.append((batch.start, len(chunk), 2 + sum(chunk) + len(chunk) - 1))
    return out


def test_the_record_limit_cuts_first_when_bytes_are_plenty():
    assert bodies([10] * 5, 2, 1000) == [(0, 2, 23), (2, 2, 23), (4, 1, 12)]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (34, [(0, 3, 34), (3, 1, 12)]),  # three records of 10 bytes: exactly 34 bytes
        (33, [(0, 2, 23), (2, 2, 23)]),  # one byte less: two per request
    ],
)
def test_the_byte_limit_is_inclusive(limit, expected):
    assert bodies([10] * 4, 1000, limit) == expected


def test_records_of_different_sizes_are_packed_in_order():
    # [5,20] is 28 bytes (+3 would be 32); [3,3] is 9 (+25 would be 35); [25,1] is 29
    assert bodies([5, 20, 3, 3, 25, 1], 1000, 30) == [(0, 2, 28), (2, 2, 9), (4, 2, 29)]


def test_no_records_make_no_requests():
    assert bodies([], 1000, 1_048_576) == []
