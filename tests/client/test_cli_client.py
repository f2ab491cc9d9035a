"""`itg send`, `itg status` and `itg watch` as real subprocesses against a real `itg serve`:
their output (captured, so not a terminal) and their exit statuses 0, 1 and 2."""

from __future__ import annotations

import orjson
import pytest
from client_helpers import person

from tests.processes import free_port

pytestmark = pytest.mark.e2e

PEOPLE_CSV = (
    "matricula,nome,sem_pis,dataAdmissao,email,localizacoes\n"
    "1001,Ana Souza,true,01/02/2024,ana@example.com,Matriz|Filial 2\n"
    "1002,Bruno Lima,true,31/02/2024,,\n"
    "1003,Carla Dias,true,01/02/2024,carla@,Matriz\n"
)
HEADER = ["subunique", "index", "identifier", "messages"]


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of the rich table's rows (header first), read back from its box drawing."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith(("│", "┃")):
            rows.append([cell.strip() for cell in line.strip("│┃").replace("┃", "│").split("│")])
    return rows


def bar(line: str) -> list[str]:
    """The words of a progress bar's line, without the bar itself."""
    return [word for word in line.split() if not set(word) <= set("━╺╸")]


def jsonl(records: list[dict[str, object]]) -> str:
    return "".join(orjson.dumps(record).decode() + "\n" for record in records)


def test_send_watch_shows_the_subunique_progress_and_failed_records(itg, tmp_path, stored):
    # Given a CSV of three people, two of them invalid
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    # When it is sent and watched
    result = itg("send", "people", "people.csv", "--watch")
    # Then the one request was stored with the CSV's records ('|' arrays, empty cells left out)
    [request] = stored()
    sub = request.subunique
    assert request.records == [
        {
            "matricula": "1001",
            "nome": "Ana Souza",
            "sem_pis": "true",
            "dataAdmissao": "01/02/2024",
            "email": "ana@example.com",
            "localizacoes": ["Matriz", "Filial 2"],
        },
        {
            "matricula": "1002",
            "nome": "Bruno Lima",
            "sem_pis": "true",
            "dataAdmissao": "31/02/2024",
        },
        {
            "matricula": "1003",
            "nome": "Carla Dias",
            "sem_pis": "true",
            "dataAdmissao": "01/02/2024",
            "email": "carla@",
            "localizacoes": ["Matriz"],
        },
    ]
    # And the output is its subunique, the final bars, a summary and the table of failures
    assert (result.status, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert lines[0] == sub
    assert bar(lines[1]) == [sub, "people", "3/3", "warning"]
    assert bar(lines[2]) == ["all", "3/3", "1/1", "finished"]
    assert lines[3] == "1 request, 3 records: 1 succeeded, 2 failed"
    assert lines[4].strip() == "Failed records"
    assert table_rows(result.stdout) == [
        HEADER,
        [sub, "1", "1002", "Data de admissão inválida"],
        [sub, "2", "1003", "E-mail inválido"],
    ]
    assert "\x1b" not in result.stdout  # not a terminal: no colours, no cursor movements


def test_send_watch_exits_0_when_every_record_succeeded(itg, tmp_path, stored):
    # Given 1001 valid people in JSON Lines: two requests
    (tmp_path / "people.jsonl").write_text(jsonl([person(n) for n in range(1001)]))
    result = itg("send", "people", "people.jsonl", "--watch", "--timeout", "50")
    subs = [request.subunique for request in stored()]
    assert [request.total for request in stored()] == [1000, 1]
    assert (result.status, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:2] == subs
    assert bar(lines[2]) == [subs[0], "people", "1000/1000", "done"]
    assert bar(lines[3]) == [subs[1], "people", "1/1", "done"]
    assert bar(lines[4]) == ["all", "1001/1001", "2/2", "finished"]
    assert lines[5:] == ["2 requests, 1001 records: 1001 succeeded, 0 failed"]


def test_send_without_watch_prints_one_subunique_per_request(itg, tmp_path, stored):
    (tmp_path / "cc.json").write_text('[{"codigo": "CC1", "nome": "Administrativo"}]')
    result = itg("send", "costcenter", "cc.json")
    [request] = stored()
    assert (result.status, result.stdout, result.stderr) == (0, f"{request.subunique}\n", "")


def test_send_reads_stdin_for_a_dash(itg, tmp_path, stored):
    (tmp_path / "cc.csv").write_text("codigo;nome\nCC1;Administrativo\n")
    result = itg("send", "costcenter", "-", stdin_file=tmp_path / "cc.csv")
    [request] = stored()
    assert (result.status, result.stdout, result.stderr) == (0, f"{request.subunique}\n", "")
    assert request.records == [{"codigo": "CC1", "nome": "Administrativo"}]


def test_an_unknown_route_is_a_usage_error(itg_offline, tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    result = itg_offline("send", "pessoas", "people.csv")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "itg: error: unknown route name 'pessoas' (use people, absences, paymentDate, "
        "anticipate, subsidiaries, costcenter, users)\n"
    )


def test_a_malformed_file_is_a_usage_error_naming_the_line(itg, tmp_path, stored):
    (tmp_path / "people.jsonl").write_text(jsonl([person(1)]) + '{"matricula": "2"\n')
    result = itg("send", "people", "people.jsonl")
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "itg: error: people.jsonl, line 2: invalid JSON: unexpected end of data (column 18)\n"
    )
    assert stored() == []


def test_a_missing_argument_is_a_usage_error(itg_offline):
    result = itg_offline("send", "people")
    assert (result.status, result.stdout, result.stderr) == (
        2,
        "",
        "itg: error: Missing argument 'FILE'.\n",
    )


def test_an_unreachable_server_exits_2_with_one_line(itg_offline, tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    result = itg_offline("send", "people", "people.csv", "--url", url)
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        "itg: error: POST /people failed after 5 attempts: ConnectError: "
        "[Errno 111] Connection refused\n"
    )


def test_missing_credentials_name_the_variable(itg_offline, tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    result = itg_offline("send", "people", "people.csv", env={"ITG_PASSWORD": None})
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == "itg: error: no password: set ITG_PASSWORD or pass --password\n"


def test_wrong_credentials_are_an_http_error(itg, tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    result = itg("send", "people", "people.csv", "--password", "wrong")
    assert (result.status, result.stdout, result.stderr) == (
        2,
        "",
        "itg: error: Unauthorized (HTTP 401)\n",
    )


def test_status_of_an_unknown_process_exits_2(itg):
    result = itg("status", "deadbeef")
    assert (result.status, result.stdout, result.stderr) == (
        2,
        "",
        "itg: error: Process not found (HTTP 404)\n",
    )


def test_status_prints_a_finished_process(itg, itg_client):
    [accepted] = itg_client.send("people", [person(1)])
    report = itg_client.wait(accepted.subunique, timeout=30)
    result = itg("status", accepted.subunique)
    assert (result.status, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"subunique: {accepted.subunique}",
        f"unique: {accepted.unique}",
        f"company: {accepted.company}",
        "route: people",
        "status: done",
        "progress: 1/1",
        f"created_at: {report['created_at']}",
        f"finished_at: {report['finished_at']}",
        "failed records: 0",
    ]


def test_status_json_prints_the_report_and_exits_1_when_a_record_failed(itg, itg_client):
    records = [person(1), person(2, dataAdmissao="31/02/2024")]
    [accepted] = itg_client.send("people", records)
    report = itg_client.wait(accepted.subunique, timeout=30)
    result = itg("status", accepted.subunique, "--json")
    assert (result.status, result.stderr) == (1, "")
    assert orjson.loads(result.stdout) == report
    assert report_errors_of(report) == [(1, "00002", ["Data de admissão inválida"])]


def report_errors_of(report: dict[str, object]) -> list[tuple[object, ...]]:
    errors = report["data"]["errors"]  # type: ignore[index]
    return [(e["index"], e["identifier"], e["message"]) for e in errors]


def test_watch_follows_several_processes_and_prints_their_failures(itg, itg_client):
    [good] = itg_client.send("costcenter", [{"codigo": "CC1", "nome": "Administrativo"}])
    [bad] = itg_client.send("costcenter", [{"codigo": "CC2"}, {"nome": "Sem código"}])
    result = itg("watch", good.subunique, bad.subunique, "--timeout", "30")
    assert (result.status, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert bar(lines[0]) == [good.subunique, "costcenter", "1/1", "done"]
    assert bar(lines[1]) == [bad.subunique, "costcenter", "2/2", "error"]
    assert bar(lines[2]) == ["all", "3/3", "2/2", "finished"]
    assert lines[3] == "2 requests, 3 records: 1 succeeded, 2 failed"
    assert table_rows(result.stdout) == [
        HEADER,
        [bad.subunique, "0", "CC2", "Campo obrigatório: nome"],
        [bad.subunique, "1", "", "Campo obrigatório: codigo"],
    ]


def test_watch_of_an_unknown_process_exits_2(itg):
    result = itg("watch", "deadbeef")
    assert (result.status, result.stderr) == (2, "itg: error: Process not found (HTTP 404)\n")


@pytest.mark.parametrize("command", ["send", "status", "watch"])
def test_help_documents_the_exit_statuses(itg_offline, command):
    result = itg_offline(command, "--help", env={"COLUMNS": "120"})
    assert (result.status, result.stderr) == (0, "")
    text = " ".join(result.stdout.split())
    assert "Exit status 0: " in text
    assert "Exit status 1: " in text
    assert "Exit status 2: usage error" in text
