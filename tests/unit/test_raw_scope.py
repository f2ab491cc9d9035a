"""Header and query values read straight from the ASGI scope (itg/api/raw.py) are the values
Starlette's parsed views give, whatever the query string holds."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from itg.api.raw import header, query_value

NAMES = ["subunique", "unique", "Accept-Version"]
# Query text built from what matters to a parser: separators, escapes, names, other bytes.
PIECES = st.sampled_from(
    ["&", "=", "%", "+", "%2", "%41", "%zz", "%C3%A9", "é", ";", " ", "", *NAMES, "x", "1f0c9a2e"]
)


def scope(query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "query_string": query, "headers": headers or []}


@given(st.lists(PIECES, max_size=12).map("".join))
def test_a_query_value_is_the_one_starlette_reads(query: str):
    raw = query.encode("utf-8")
    request = Request(scope(raw))
    for name in NAMES:
        assert query_value(scope(raw), name) == request.query_params.get(name)


def test_the_last_of_repeated_parameters_wins_and_a_bare_name_is_blank():
    raw = b"subunique=a&subunique=b&unique&&x=1"
    assert query_value(scope(raw), "subunique") == "b"
    assert query_value(scope(raw), "unique") == ""
    assert query_value(scope(raw), "absent") is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"authorization", b"host", b"accept-version"]),
            st.binary(max_size=8),
        ),
        max_size=5,
    )
)
def test_a_header_is_the_first_of_its_name_as_starlette_reads_it(
    headers: list[tuple[bytes, bytes]],
):
    request = Request(scope(headers=headers))
    for name in ("authorization", "host", "accept-version", "absent"):
        assert header(scope(headers=headers), name.encode()) == request.headers.get(name)
