"""`itg send ROUTE FILE --check` and `Client.dry_run` (SPEC 1.11, 4) against a real `itg serve`:
the failed records in the --watch table with their file lines, nothing stored, exit 0/1/2."""

from __future__ import annotations

import orjson
import pytest
from client_stub import reply

from itg.client import Client, DryRunUnsupported

pytestmark = pytest.mark.e2e

PEOPLE_CSV = (
    "matricula,nome,sem_pis,dataAdmissao,cpf\n"
    "1001,Ana Souza,true,01/02/2024,529.982.247-25\n"
    "\n"
    "1002,Bruno Lima,true,31/02/2024,\n"
    "1003,Carla Dias,true,01/02/2024,529.982.247-25\n"
)
VALID = [
    {"matricula": "1", "nome": "Ana", "sem_pis": True, "dataAdmissao": "01/02/2024"},
    {"matricula": "2", "nome": "Bia", "sem_pis": True, "dataAdmissao": "01/02/2024"},
]
HEADER = ["request", "index", "line", "identifier", "messages"]


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of the rich table's rows (header first), read back from its box drawing."""
    return [
        [cell.strip() for cell in line.strip("│┃").replace("┃", "│").split("│")]
        for line in stdout.splitlines()
        if line.startswith(("│", "┃"))
    ]


def test_check_prints_the_failed_records_with_their_csv_lines_and_exits_1(itg, tmp_path, stored):
    # Given a CSV of three people (a blank line between them): a bad date, a CPF taken by the
    # record before it
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    # When it is checked
    result = itg("send", "people", "people.csv", "--check")
    # Then the two records that would fail are listed with their lines, and nothing is stored
    assert result.status == 1, result.stderr
    assert result.stdout.splitlines()[0] == (
        "dry run, nothing stored: 1 request, 3 records: 1 would succeed, 2 would fail"
    )
    assert table_rows(result.stdout) == [
        HEADER,
        ["1", "1", "4", "1002", "Data de admissão inválida"],
        ["1", "2", "5", "1003", "CPF já cadastrado."],
    ]
    assert stored() == []


def test_check_of_json_lines_split_into_requests_numbers_requests_and_lines(itg, tmp_path, stored):
    # Given JSON Lines of 1,001 people, the last one invalid: two requests
    lines = [orjson.dumps({**VALID[0], "matricula": f"M{i}"}).decode() for i in range(1000)]
    lines.append(orjson.dumps({"matricula": "BAD"}).decode())
    (tmp_path / "people.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = itg("send", "people", "people.jsonl", "--check")
    assert result.status == 1, result.stderr
    assert "2 requests, 1001 records: 1000 would succeed, 1 would fail" in result.stdout
    rows = table_rows(result.stdout)
    assert rows[0] == HEADER
    assert rows[1][:4] == ["2", "0", "1001", "BAD"]
    assert stored() == []


def test_check_exits_0_when_every_record_would_pass(itg, tmp_path, stored):
    (tmp_path / "people.json").write_text(orjson.dumps(VALID).decode(), encoding="utf-8")
    result = itg("send", "people", "people.json", "--check", "--key-prefix", "batch-7")
    assert result.status == 0, result.stderr
    assert result.stdout.strip() == (
        "dry run, nothing stored: 1 request, 2 records: 2 would succeed, 0 would fail"
    )
    assert stored() == []


def test_a_json_array_has_no_line_column(itg, tmp_path):
    (tmp_path / "people.json").write_text(orjson.dumps([{"matricula": "X"}]).decode())
    result = itg("send", "people", "people.json", "--check")
    assert result.status == 1
    assert table_rows(result.stdout)[0] == ["request", "index", "identifier", "messages"]


def test_check_usage_http_and_transport_errors_exit_2(itg, itg_offline, tmp_path, stored):
    (tmp_path / "people.json").write_text(orjson.dumps(VALID).decode(), encoding="utf-8")
    # --watch has nothing to follow
    watched = itg("send", "people", "people.json", "--check", "--watch")
    assert watched.status == 2
    assert "--check stores nothing" in watched.stderr
    # A malformed key prefix is still a usage error
    assert itg("send", "people", "people.json", "--check", "--key-prefix", "a b").status == 2
    # Wrong credentials: the server's message on stderr
    refused = itg("send", "people", "people.json", "--check", env={"ITG_PASSWORD": "wrong"})
    assert refused.status == 2
    assert "Unauthorized (HTTP 401)" in refused.stderr
    # No server
    offline = itg_offline("send", "people", "people.json", "--check")
    assert offline.status == 2
    assert "ConnectError" in offline.stderr
    assert stored() == []


def test_client_dry_run_combines_its_requests(itg_client, stored):
    # Given 1,001 costcenters split into two requests, one invalid in each
    records = [{"codigo": f"C{i}", "nome": "N"} for i in range(1001)]
    records[3] = {"codigo": "C3"}
    records[1000] = {"nome": "sem codigo"}
    report = itg_client.dry_run("costcenter", records)
    # Then one report: every record counted, indexes in the given records
    assert report == {
        "company": "a000001",
        "dry_run": True,
        "status": "warning",
        "progress": {"done": "1001", "total": "1001"},
        "data": {
            "errors": [
                {"identifier": "C3", "index": 3, "message": ["Campo obrigatório: nome"]},
                {"identifier": "", "index": 1000, "message": ["Campo obrigatório: codigo"]},
            ]
        },
    }
    assert stored() == []


def test_client_dry_run_refuses_a_server_without_dry_runs(stub):
    # A server that ignores ?dry_run= answers as if it had accepted the request
    accepted = {"company": "a", "unique": "bd751350", "subunique": "c01de0cc", "message": "ok"}
    server = stub(reply(200, orjson.dumps(accepted)))
    with Client(server.url, "u", "p", retries=0) as client:
        with pytest.raises(DryRunUnsupported) as refused:
            client.dry_run("costcenter", [{"codigo": "A"}])
    assert str(refused.value) == (
        "the server does not support dry runs: it accepted the request as subunique "
        "'c01de0cc', whose records will be applied"
    )


def test_a_dry_run_carries_no_key_and_is_retried_like_a_keyed_post(stub):
    # Given a server answering 502 (a proxy), then the dry run
    answer = {
        "company": "a",
        "dry_run": True,
        "status": "done",
        "progress": {"done": "1", "total": "1"},
        "data": {"errors": []},
    }
    server = stub(reply(502, b"{}"), reply(200, orjson.dumps(answer)))
    with Client(server.url, "u", "p", backoff=0.01) as client:
        assert client.dry_run("costcenter", [{"codigo": "A"}]) == answer
    # Then it was sent twice, the same way, with ?dry_run=true and no Idempotency-Key
    assert [seen.target for seen in server.requests] == ["/costcenter?dry_run=true"] * 2
    assert all("idempotency-key" not in seen.headers for seen in server.requests)
