"""The README's walkthrough, run as a new user would run it (issue 11): its two shell blocks,
extracted from README.md itself and run verbatim with bash against a real `itg serve`, must
produce the outcomes the README states, so the text cannot drift from the server again.

The only substitution is the server's address: the README's server listens on
http://127.0.0.1:8000, the test's on a free port. The password needs none: the README mints
a fresh one with `itg user reset-password`, as the reader does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from itg.services.registry import SERVICES
from tests.processes import ROOT, Credentials, Server, run_itg

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
ADDRESS = "http://127.0.0.1:8000"  # where the README's server listens
SETTLE_SECONDS = 60.0
FINAL = {"done", "warning", "error"}
VARYING = ("unique", "subunique", "created_at", "finished_at")  # differ on every run


def walkthrough() -> str:
    """The README's section from the walkthrough up to the configuration."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## The 60-second walkthrough")
    return text[start : text.index("## Configuration", start)]


def fenced(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def json_values(text: str) -> list[Any]:
    """Every JSON object that starts a line of `text`, in order (other lines skipped)."""
    decoder = json.JSONDecoder()
    values, position = [], 0
    while position < len(text):
        if text[position] == "{":
            value, position = decoder.raw_decode(text, position)
            values.append(value)
        end = text.find("\n", position)
        position = len(text) if end == -1 else end + 1
    return values


def final_report(server: Server, reader: Credentials, subunique: str) -> dict[str, Any]:
    """The monitor body of a process once it is final (the README waits `sleep 1`, which a
    loaded machine may outlast)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    with server.client(reader) as client:
        while True:
            response = client.get("/process", params={"subunique": subunique})
            assert response.status_code == 200, response.text
            report: dict[str, Any] = response.json()
            if report["status"] in FINAL:
                return report
            if time.monotonic() > deadline:
                pytest.fail(f"{subunique} not final within {SETTLE_SECONDS} s: {report}")
            time.sleep(0.1)


def test_the_readme_walkthrough_does_what_it_says(
    server: Server, tmp_path: Path, itg_env: dict[str, str]
):
    # Given the README's shell blocks: the server of terminal 1 (`make run`) is the test's
    section = walkthrough()
    serve_block, first, second, third = fenced(section, "sh")
    assert serve_block.strip() == "make run"
    script = first + second + third
    assert script.count(ADDRESS) == 1, "the README names its server's address once"
    # and a reader of the monitor of our own (the README resets integrador's password)
    reader = Credentials.of(
        run_itg(
            "user", "create", "readme-reader", "--company", server.credentials.company,
            "--routes", "process", "--json", cwd=tmp_path, env=itg_env,
        )
    )  # fmt: skip

    # When both blocks run verbatim, in one shell, in a fresh folder, as terminal 2 does
    path = os.pathsep.join([str(Path(sys.executable).parent), itg_env.get("PATH", "")])
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script.replace(ADDRESS, server.base_url)],
        cwd=tmp_path,
        env={**itg_env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=180,
    )
    # Then every command succeeds
    assert (done.returncode, done.stderr) == (0, ""), done
    outputs = json_values(done.stdout)
    posts = re.findall(r"^post (\w+) ", second, re.MULTILINE)
    assert len(outputs) == 3 + len(posts) + 4, done.stdout
    accepted_first, monitor_printed, accepted_second, dry_run, retried_and_canceled = (
        outputs[:2],
        outputs[2],
        outputs[3:-4],
        outputs[-4],
        outputs[-3:],
    )
    answers_shown, monitor_shown, third_shown = fenced(section, "json")[:3]

    # The first block: the POSTs answer as shown, in one window of the README's company
    for answer, shown in zip(accepted_first, json_values(answers_shown), strict=True):
        assert set(answer) == {"company", "unique", "subunique", "message"}
        assert (answer["company"], answer["message"]) == (shown["company"], shown["message"])
    assert accepted_first[0]["unique"] == accepted_first[1]["unique"]
    # and the monitor shows what the README shows, ids and times aside
    people = accepted_first[1]
    report = final_report(server, reader, people["subunique"])
    expected = json.loads(monitor_shown)
    assert {**report, **dict.fromkeys(VARYING)} == {**expected, **dict.fromkeys(VARYING)}
    assert (report["unique"], report["subunique"]) == (people["unique"], people["subunique"])
    # (what the block itself printed is that process, final already or not yet)
    assert monitor_printed["subunique"] == people["subunique"]
    if monitor_printed["status"] in FINAL:
        assert monitor_printed == report

    # The second block: each post answers with its route's message
    for route, answer in zip(posts, accepted_second, strict=True):
        assert set(answer) == {"company", "unique", "subunique", "message"}
        assert answer["message"] == SERVICES[route].accepted_message
    # and "every one of them ends `done`"
    outcomes = [
        (route, final_report(server, reader, answer["subunique"]))
        for route, answer in zip(posts, accepted_second, strict=True)
    ]
    assert [(route, report["status"], report["data"]["errors"]) for route, report in outcomes] == [
        (route, "done", []) for route in posts
    ]

    # The third block: the dry run answers exactly as shown and stores nothing; one key sent
    # twice is one request; a finished process is not canceled
    shown_dry_run, shown_answer, shown_repeat, shown_refusal = json_values(third_shown)
    assert dry_run == shown_dry_run
    with server.client(reader) as client:
        listed = client.get("/processes", params={"limit": 500}).json()["processes"]
    assert len(listed) == 2 + len(posts) + 1  # the dry run is not among them
    first_answer, repeat, refused = retried_and_canceled
    assert repeat == first_answer
    assert first_answer["message"] == shown_answer["message"] == shown_repeat["message"]
    assert refused == shown_refusal


def test_the_readme_links_only_files_a_cloning_user_has():
    # Given the README's relative links and the paths it names
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", text)
    # Then each one exists in the project, and none points outside it
    assert "docs/api.md" in links
    assert "docs/migrating.md" in links
    for link in links:
        assert (ROOT / link).resolve().is_relative_to(ROOT), link
        assert (ROOT / link).exists(), link
    assert "../shared" not in text


def test_the_api_reference_names_every_route_and_message():
    # Given docs/api.md
    reference = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    # Then every write route, its answer and every record message is in it
    from itg.domain import messages

    for service in SERVICES.values():
        assert f"POST /{service.route}" in reference
        assert service.accepted_message in reference
        for field in service.doc.fields:
            assert f"`{field.name}`" in reference, (service.route, field.name)
    catalog = [
        value for name, value in vars(messages).items() if name.isupper() and isinstance(value, str)
    ]
    for message in catalog:
        assert message in reference, message
    for path in ("GET /process", "GET /processes", "GET /dashboard", "GET /healthz"):
        assert path in reference


def test_no_doc_sends_the_reader_to_a_file_outside_the_project():
    for page in ("README.md", "docs/api.md", "docs/migrating.md"):
        assert "shared/SPEC" not in (ROOT / page).read_text(encoding="utf-8"), page
