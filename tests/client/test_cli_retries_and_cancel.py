"""`itg send --key-prefix` and `itg cancel` as real subprocesses against a real
`itg serve --workers 0` (nothing is applied, so a request stays queued until cancelled):
SPEC 1.8's safe re-send and SPEC 1.9's cancel, from the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from itg.client import Client
from tests.processes import CONSOLE_SCRIPT, Credentials, Server, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def api_only(tmp_path: Path, itg_env: dict[str, str], credentials: Credentials) -> Iterator[Server]:
    server = start_server(
        CONSOLE_SCRIPT,
        "--workers",
        "0",
        cwd=tmp_path,
        env=itg_env,
        log_path=tmp_path / "serve.log",
        credentials=credentials,
    )
    try:
        yield server
    finally:
        server.stop_cleanly()
        server.end()


@pytest.fixture
def cli(itg_for: Callable[[Server], Callable[..., Any]], api_only: Server) -> Callable[..., Any]:
    return itg_for(api_only)


def test_sending_a_file_again_with_its_key_prefix_stores_nothing_twice(
    cli: Callable[..., Any], tmp_path: Path, stored
):
    # Given a file of 1,500 cost centers: two requests (1000 + 500)
    centers = [{"codigo": f"CC{n}", "nome": f"Centro {n}"} for n in range(1500)]
    (tmp_path / "centers.json").write_bytes(orjson.dumps(centers))
    # When it is sent with a key prefix, then sent again as it was (a re-run after a crash)
    first = cli("send", "costcenter", "centers.json", "--key-prefix", "folha-11")
    again = cli("send", "costcenter", "centers.json", "--key-prefix", "folha-11")
    # Then the second run printed the same subuniques, said so, and stored nothing new
    assert (first.status, first.stderr) == (0, "")
    subuniques = first.stdout.split()
    assert len(subuniques) == 2
    assert (again.status, again.stdout.split()) == (0, subuniques)
    assert again.stderr.splitlines() == [
        f"{sub}: already accepted, not stored again" for sub in subuniques
    ]
    expected = [(subuniques[0], 1000), (subuniques[1], 500)]
    assert [(request.subunique, request.total) for request in stored()] == expected


def test_a_bad_key_prefix_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path, stored):
    (tmp_path / "centers.json").write_bytes(orjson.dumps([{"codigo": "C", "nome": "N"}]))
    result = cli("send", "costcenter", "centers.json", "--key-prefix", "com espaço")
    assert result.status == 2
    assert result.stderr == (
        "itg: error: the key prefix must be 1 to 200 visible ASCII characters (no spaces), "
        "got 'com espaço'\n"
    )
    assert stored() == []


def test_cancel_stops_a_queued_process_and_refuses_what_cannot_be_cancelled(
    cli: Callable[..., Any], api_only: Server
):
    # Given a queued request (no worker runs)
    creds = api_only.credentials
    with Client(api_only.base_url, creds.username, creds.password) as client:
        [accepted] = client.send("costcenter", [{"codigo": "CC1", "nome": "Centro"}])
        sub = accepted.subunique
        # When it is cancelled
        canceled = cli("cancel", sub)
        # Then it is canceled at once
        assert (canceled.status, canceled.stdout, canceled.stderr) == (0, f"{sub}: canceled\n", "")
        assert client.process(sub)["status"] == "canceled"
    # And cancelling it again, or an unknown process, is refused with the server's message
    refused = cli("cancel", sub, "deadbeef")
    assert (refused.status, refused.stdout) == (1, "")
    assert refused.stderr.splitlines() == [
        f"{sub}: Process already finished (HTTP 409)",
        "deadbeef: Process not found (HTTP 404)",
    ]
