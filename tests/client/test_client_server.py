"""itg.client.Client against a real `itg serve`: splitting by count and by size, refusing a
record that cannot fit, following a process to its end, and the server's errors."""

from __future__ import annotations

import re

import pytest
from client_helpers import person, sized_person

from itg.client import Accepted, Client, ItgHttpError, UnsendableRecordError
from itg.errors import ConfigError

pytestmark = pytest.mark.e2e

HEX8 = re.compile(r"[0-9a-f]{8}")
ONE_MIB = 1_048_576


def body_size(count: int, size: int) -> int:
    """Bytes of `[r0,r1,…]` for `count` records of `size` bytes."""
    return 2 + count * size + (count - 1)


def test_1000_records_are_one_request(itg_client, stored, credentials):
    records = [person(n) for n in range(1000)]
    accepted = itg_client.send("people", records)
    [only] = stored()
    assert (only.subunique, only.route, only.total) == (accepted[0].subunique, "people", 1000)
    assert only.records == records
    assert accepted == [
        Accepted(
            company=credentials.company,
            unique=accepted[0].unique,
            subunique=only.subunique,
            message="People Integration on progress",
            first_index=0,
            count=1000,
        )
    ]
    assert HEX8.fullmatch(accepted[0].unique) and HEX8.fullmatch(accepted[0].subunique)


def test_1001_records_are_two_requests_sent_in_order(itg_client, stored):
    records = [person(n) for n in range(1001)]
    accepted = itg_client.send("people", records)
    rows = stored()
    assert [(row.subunique, row.total) for row in rows] == [
        (accepted[0].subunique, 1000),
        (accepted[1].subunique, 1),
    ]
    assert [row.records for row in rows] == [records[:1000], records[1000:]]
    assert [(a.first_index, a.count) for a in accepted] == [(0, 1000), (1000, 1)]
    assert accepted[0].unique == accepted[1].unique  # one window: consecutive requests


def test_1000_records_over_1_mib_are_split_by_size(itg_client, stored):
    # Given 1000 records of 2000 bytes: 524 of them fit in 1 MiB, 525 do not
    size = 2000
    assert body_size(524, size) == 1_048_525 <= ONE_MIB < body_size(525, size)
    records = [sized_person(n, size) for n in range(1000)]
    # When they are sent
    accepted = itg_client.send("people", records)
    # Then there are two requests of 524 and 476 records, in order, each body within 1 MiB
    rows = stored()
    assert [(row.subunique, row.total) for row in rows] == [
        (accepted[0].subunique, 524),
        (accepted[1].subunique, 476),
    ]
    assert [len(row.payload) for row in rows] == [body_size(524, size), body_size(476, size)]
    assert [row.records for row in rows] == [records[:524], records[524:]]


def test_a_record_whose_request_is_exactly_1_mib_is_sent(itg_client, stored):
    accepted = itg_client.send("people", [sized_person(1, ONE_MIB - 2)])
    [only] = stored()
    assert (only.subunique, only.total, len(only.payload)) == (accepted[0].subunique, 1, ONE_MIB)


def test_a_record_over_1_mib_is_refused_before_anything_is_sent(itg_client, stored):
    # Given 1500 records where the one at index 1200 cannot fit in a request on its own
    records = [person(n) for n in range(1500)]
    records[1200] = sized_person(1200, ONE_MIB - 1)
    # When they are sent, then the record is named and not even the first 1000 went out
    with pytest.raises(UnsendableRecordError) as raised:
        itg_client.send("people", records)
    assert raised.value.index == 1200
    assert str(raised.value) == (
        "Record at index 1200 is 1,048,575 bytes of JSON: alone it exceeds the request body "
        "limit of 1,048,576 bytes; nothing was sent"
    )
    assert stored() == []


def test_a_record_that_is_not_an_object_is_refused_before_anything_is_sent(itg_client, stored):
    with pytest.raises(UnsendableRecordError) as raised:
        itg_client.send("people", [person(1), ["not", "a", "record"]])  # type: ignore[list-item]
    assert str(raised.value) == "Record at index 1 must be an object, not list; nothing was sent"
    assert stored() == []


def test_wait_follows_a_process_to_its_final_report(itg_client):
    # Given three people, one with an impossible admission date and one with a bad e-mail
    records = [person(1), person(2, dataAdmissao="31/02/2024"), person(3, email="x@")]
    [accepted] = itg_client.send("people", records)
    # When the client waits for the process
    seen: list[dict[str, object]] = []
    final = itg_client.wait(accepted.subunique, timeout=30, on_progress=seen.append)
    # Then the final report has the failed records, and every report passed through the callback
    assert (final["status"], final["progress"]) == ("warning", {"done": "3", "total": "3"})
    assert final["data"] == {
        "errors": [
            {"identifier": "00002", "index": 1, "message": ["Data de admissão inválida"]},
            {"identifier": "00003", "index": 2, "message": ["E-mail inválido"]},
        ]
    }
    assert seen[-1] == final
    assert {report["status"] for report in seen[:-1]} <= {"queued", "processing"}
    assert itg_client.process(accepted.subunique) == final


def test_the_servers_errors_become_ItgHttpError(itg_client, server):
    with pytest.raises(ItgHttpError) as raised:
        itg_client.process("deadbeef")
    assert (raised.value.status, raised.value.message) == (404, "Process not found")
    with Client(server.base_url, "integrador", "wrong", retries=0) as client:
        with pytest.raises(ItgHttpError) as raised:
            client.send("people", [person(1)])
    assert (raised.value.status, raised.value.message) == (401, "Unauthorized")


def test_url_and_credentials_come_from_the_environment(server, monkeypatch, stored):
    monkeypatch.setenv("ITG_URL", server.base_url + "/")
    monkeypatch.setenv("ITG_USERNAME", server.credentials.username)
    monkeypatch.setenv("ITG_PASSWORD", server.credentials.password)
    with Client() as client:
        [accepted] = client.send("costcenter", [{"codigo": "CC1", "nome": "Administrativo"}])
        assert client.url == server.base_url
    assert [(row.subunique, row.route) for row in stored()] == [(accepted.subunique, "costcenter")]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("ITG_URL", "no server URL: set ITG_URL or pass --url"),
        ("ITG_USERNAME", "no username: set ITG_USERNAME or pass --username"),
        ("ITG_PASSWORD", "no password: set ITG_PASSWORD or pass --password"),
    ],
)
def test_a_missing_setting_names_its_variable(monkeypatch, missing, message):
    for name in ("ITG_URL", "ITG_USERNAME", "ITG_PASSWORD"):
        monkeypatch.setenv(name, "http://127.0.0.1:9" if name == "ITG_URL" else "x")
    monkeypatch.setenv(missing, " ")
    with pytest.raises(ConfigError) as raised:
        Client()
    assert str(raised.value) == message


def test_a_url_without_scheme_is_refused():
    with pytest.raises(ConfigError) as raised:
        Client("127.0.0.1:8000", "u", "p")
    assert str(raised.value) == (
        "the server URL must start with http:// or https://: '127.0.0.1:8000'"
    )
