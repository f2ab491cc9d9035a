"""JSON logs of a real `itg serve` (SPEC 1.7, SPEC 6; issue 14): every line of a full run
parses, the request id of a POST follows it into the worker's lines, and no record content or
credential is logged, also when a record's processing raises; on both engines."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.builders import cpf, person
from tests.faults import FaultHooks
from tests.processes import Itg

ACCEPTED = "People Integration on progress"
POISON = "MAT-POISON-7Q"  # its chunk raises in every attempt (tests/faults.py)
NAMES = ("Joana Quitéria Brandão", "Severino Alcântara Lobo", "Maria Poison Souza")
WRONG_PASSWORD = "wrong-Pa55word-4zT"


def punctuated(digits: str) -> str:
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def parse_lines(log: str) -> list[dict[str, Any]]:
    """Every line of the log as one JSON object (a line that does not parse fails)."""
    lines = []
    for number, text in enumerate(log.splitlines(), 1):
        try:
            line = json.loads(text)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {text!r}\n{log}") from None
        assert isinstance(line, dict), text
        assert {"time", "level", "logger", "message", "pid"} <= set(line), text
        lines.append(line)
    return lines


def post(client: httpx.Client, records: list[dict[str, Any]], request_id: str) -> str:
    response = client.post("/people", json=records, headers={"X-Request-Id": request_id})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == ACCEPTED
    assert response.headers["x-request-id"] == request_id
    return str(response.json()["subunique"])


def test_a_full_run_logs_json_lines_with_request_ids_and_no_record_content(itg: Itg):
    # Given `itg serve` with JSON logs and a worker whose chunks holding POISON raise: embedded
    # on SQLite, a standalone `itg worker` on PostgreSQL (the scale-out shape)
    faults = FaultHooks(fail_identifier=POISON)
    if itg.engine == "sqlite":
        server = itg.serve(workers=1, faults=faults, log_format="json")
        processes = [server]
    else:
        server = itg.serve(workers=0, log_format="json")
        processes = [server, itg.worker(faults=faults, log_format="json")]
    first, second, third = cpf(101), cpf(202), cpf(303)
    records = [
        person("MAT-A1", nome=NAMES[0], cpf=punctuated(first)),
        person("MAT-B2", nome=NAMES[1], cpf=second),
        # fails: `CPF já cadastrado.` (the first one's, sent without punctuation)
        person("MAT-C3", nome="Outro Nome Qualquer", cpf=first),
    ]
    poison = [person(POISON, nome=NAMES[2], cpf=punctuated(third))]
    # When people are posted with known request ids, one request being poison
    with server.client() as client:
        subunique = post(client, records, "run-people-0001")
        poisoned = post(client, poison, "run-poison-0002")
        rows = {row["subunique"]: row for row in itg.wait_all_final(60)}
        # and read back, and a client knocks with a wrong password
        report = client.get("/process", params={"subunique": subunique})
        assert report.status_code == 200
        assert report.json()["data"]["errors"] == [
            {"identifier": "MAT-C3", "index": 2, "message": ["CPF já cadastrado."]}
        ]
    with httpx.Client(base_url=server.base_url) as anonymous:
        refused = anonymous.get(
            "/process",
            params={"subunique": subunique},
            auth=(server.credentials.username, WRONG_PASSWORD),
            headers={"X-Request-Id": "run-denied-0003"},
        )
    assert refused.status_code == 401
    assert (rows[subunique]["status"], rows[poisoned]["status"]) == ("warning", "error")
    for process in processes:
        status, _seconds = process.stop()
        assert status == 0, process.log

    # Then every line of stdout and stderr is one JSON object, uvicorn's included
    log = "".join(process.log for process in processes)
    lines = parse_lines(log)
    assert any(line["logger"].startswith("uvicorn") for line in lines), log
    assert {line["pid"] for line in lines} == {process.pid for process in processes}
    # And the POST's request id is in the worker's lines for its subunique, with the context
    mine = [line for line in lines if line.get("subunique") == subunique]
    assert mine and all(line["logger"] == "itg.worker" for line in mine), log
    assert {line["request_id"] for line in mine} == {"run-people-0001"}
    assert {(line["company"], line["route"], line["attempt"]) for line in mine} == {
        (server.credentials.company, "people", 1)
    }
    assert any("claimed" in line["message"] for line in mine), log
    assert any(line["message"].endswith("finished") for line in mine), log
    # And the poison request's three attempts logged one traceback each, with its id
    failures = [line for line in lines if "exc_info" in line]
    assert [(line["request_id"], line["subunique"], line["attempt"]) for line in failures] == [
        ("run-poison-0002", poisoned, attempt) for attempt in (1, 2, 3)
    ], log
    assert all("\n" not in text for text in log.splitlines())
    assert all(line["exc_info"].endswith("RuntimeError: (message not logged)") for line in failures)
    # And no password, no CPF (with or without punctuation), no name, no matrícula anywhere
    decoded = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    secrets = [
        server.credentials.password,
        WRONG_PASSWORD,
        *(number for digits in (first, second, third) for number in (digits, punctuated(digits))),
        *NAMES,
        POISON,
        "MAT-A1",
        "Basic ",
    ]
    for secret in secrets:
        assert secret not in log and secret not in decoded, (secret, log)
