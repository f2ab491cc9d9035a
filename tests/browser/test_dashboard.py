"""SPEC 5 in a real headless Chromium against real `itg serve` processes: log in, watch a
request go from queued to final, read its errors, filter, and see only one's own company."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.errors import error_body
from tests.faults import FaultHooks

pytestmark = pytest.mark.browser

FINAL = {"done", "warning", "error"}
PNG = b"\x89PNG\r\n\x1a\n"
ADMITTED = {"sem_pis": True, "dataAdmissao": "01/02/2024"}
HOSTILE = "<img src=x onerror=alert(1)>"  # a matrícula that must show as text, never as HTML
ROWS = "table.processes tbody tr[data-subunique]"
CHUNK_SIZE = 10  # ITG_CHUNK_SIZE of this folder's itg_env (tests/browser/conftest.py)
SLOW_CHUNK_SECONDS = 0.1
MIN_STEPS_SEEN = 3  # of the ten or more refreshes while 1000 records are applied
SEEN_PROGRESS = """(subunique) => {
  // Record every value the row's progress bar shows, as the page swaps in fresh rows.
  window.seenProgress = [];
  const read = () => {
    const bar = document.querySelector(`tr[data-subunique="${subunique}"] progress`);
    const value = bar && bar.getAttribute("value");
    if (value !== null && window.seenProgress.at(-1) !== value) window.seenProgress.push(value);
  };
  read();
  new MutationObserver(read).observe(document.querySelector("main"), {
    childList: true, subtree: true, attributes: true,
  });
}"""
ERROR_ROWS = """rows => rows.map(row => [
  row.querySelector(".index").textContent.trim(),
  row.querySelector(".identifier").textContent.trim(),
  [...row.querySelectorAll(".messages li")].map(item => item.textContent),
])"""


def thousand_people() -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """1000 people, 11 of them failing, and the error rows the dashboard must show."""
    people: list[dict[str, Any]] = []
    expected: list[list[Any]] = []
    for index in range(1000):
        person: dict[str, Any] = {"matricula": f"{index:05d}", "nome": f"Pessoa {index}"}
        messages = []
        if index % 100 == 0:
            person["cpf"] = "111.111.111-11"
            messages.append("CPF Inválido")
        if index == 500:
            person["email"] = "ana@"
            messages.append("E-mail inválido")
        if index == 999:
            person = {"matricula": HOSTILE}
            messages.append("Campo obrigatório: nome")
        people.append({**person, **ADMITTED})
        if messages:
            expected.append([str(index), person["matricula"], sorted(messages)])
    return people, expected


def send(server, credentials, route: str, records: list[dict[str, Any]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    auth = httpx.BasicAuth(credentials.username, credentials.password)
    response = httpx.post(f"{server.base_url}/{route}", json=records, auth=auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_final(server, credentials, subunique: str) -> str:  # type: ignore[no-untyped-def]
    auth = httpx.BasicAuth(credentials.username, credentials.password)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        report = httpx.get(
            f"{server.base_url}/process", params={"subunique": subunique}, auth=auth, timeout=10
        ).json()
        if report["status"] in FINAL:
            return report["status"]
        time.sleep(0.1)
    pytest.fail(f"{subunique} did not finish within 60 s:\n{server.log}")


def listed(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.subunique)")


def test_a_sent_request_appears_progresses_to_final_and_opens_to_its_errors(
    api_server, credentials, start_worker, open_page, tmp_path: Path
):
    # Given a logged-in dashboard of a company with no process yet (no worker running)
    page = open_page(api_server, credentials)
    response = page.goto("/dashboard")
    assert response.status == 200
    expect(page.locator("table.processes tbody tr.empty")).to_have_text("No processes yet.")
    expect(page.locator("header .company")).to_have_text(credentials.company)

    # When a request of 1000 people is sent, Then it appears by itself, queued at 0 / 1000
    people, expected_errors = thousand_people()
    accepted = send(api_server, credentials, "people", people)
    row = page.locator(f'tr[data-subunique="{accepted["subunique"]}"]')
    expect(row).to_be_visible(timeout=15_000)
    bar = row.locator("progress")
    expect(row.locator(".badge")).to_have_text("queued")
    expect(bar).to_have_attribute("value", "0")
    expect(bar).to_have_attribute("max", "1000")
    expect(row.locator("td.route")).to_have_text("people")
    expect(row.locator("td").nth(3)).to_have_text(accepted["unique"])
    expect(page.locator(".note")).to_have_text(
        "Updating every second while 1 process is unfinished."
    )
    page.evaluate(SEEN_PROGRESS, accepted["subunique"])

    # When a worker starts whose chunks last at least SLOW_CHUNK_SECONDS each (a hundred
    # chunks: 10 s or more, some ten refreshes of the page at one a second)
    start_worker(FaultHooks(chunk_delay_seconds=SLOW_CHUNK_SECONDS))
    # Then the bar fills to 100% and the badge turns final
    expect(bar).to_have_attribute("value", "1000", timeout=60_000)
    expect(row.locator(".badge")).to_have_text("warning")
    expect(row.locator(".progress .count")).to_have_text("1000 / 1000")
    expect(row.locator("td.errors")).to_have_text("11")
    # through values in between, each a chunk boundary, never going back
    seen = [int(value) for value in page.evaluate("window.seenProgress")]
    assert (seen[0], seen[-1]) == (0, 1000), seen
    assert len(seen) >= 2 + MIN_STEPS_SEEN, seen
    assert seen == sorted(set(seen)), seen
    assert all(value % CHUNK_SIZE == 0 for value in seen), seen
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    assert (tmp_path / "dashboard.png").read_bytes().startswith(PNG)

    # When the process is opened, Then its error table holds every failed record, exactly
    row.get_by_role("link", name=accepted["subunique"]).click()
    page.wait_for_url(f"**/dashboard/process/{accepted['subunique']}")
    errors = page.locator("table.error-table tbody tr")
    expect(errors).to_have_count(len(expected_errors))
    shown = errors.evaluate_all(ERROR_ROWS)
    assert [[index, identifier, sorted(messages)] for index, identifier, messages in shown] == (
        expected_errors
    )
    assert shown[0] == ["0", "00000", ["CPF Inválido"]]
    assert page.locator("table.error-table img").count() == 0  # the hostile one is text
    expect(page.locator("h1 .badge")).to_have_text("warning")
    page.screenshot(path=tmp_path / "process.png", full_page=True)
    assert (tmp_path / "process.png").read_bytes().startswith(PNG)


def test_the_first_answer_already_holds_the_rows(api_server, credentials, open_page):
    # Given a queued request, and a browser with JavaScript off
    accepted = send(api_server, credentials, "costcenter", [{"codigo": "CC1", "nome": "Adm"}])
    page = open_page(api_server, credentials, javascript=False)
    # When the dashboard and the process are opened, Then the server rendered the rows
    page.goto("/dashboard")
    assert listed(page) == [accepted["subunique"]]
    expect(page.locator(f"{ROWS} .badge")).to_have_text("queued")
    page.goto(f"/dashboard/process/{accepted['subunique']}")
    expect(page.locator("table.error-table tbody tr.empty")).to_have_text("No errors so far.")


def test_filters_by_status_and_route_are_urls(server, credentials, open_page):
    # Given a done and a warning cost center process and a people process in error
    done = send(server, credentials, "costcenter", [{"codigo": "CC1", "nome": "Adm"}])
    warning = send(server, credentials, "costcenter", [{"codigo": "CC1"}, {"codigo": "CC2"}])
    error = send(server, credentials, "people", [{"matricula": "1", "cpf": "123", **ADMITTED}])
    statuses = [wait_final(server, credentials, a["subunique"]) for a in (done, warning, error)]
    assert statuses == ["done", "warning", "error"]
    page = open_page(server, credentials)
    page.goto("/dashboard")
    assert listed(page) == [error["subunique"], warning["subunique"], done["subunique"]]

    # When a status is chosen, Then only its processes stay, and the filter is in the URL
    page.select_option("select[name=status]", "done")
    page.wait_for_url("**/dashboard?status=done&route=")
    assert listed(page) == [done["subunique"]]
    # When a route is added that has no done process, Then nothing matches
    page.select_option("select[name=route]", "people")
    page.wait_for_url("**/dashboard?status=done&route=people")
    expect(page.locator("table.processes tbody tr.empty")).to_have_text(
        "No process matches these filters."
    )
    # When the status goes back to all, Then the route alone filters
    page.select_option("select[name=status]", "")
    page.wait_for_url("**/dashboard?status=&route=people")
    assert listed(page) == [error["subunique"]]
    expect(page.locator(f"{ROWS} .badge")).to_have_text("error")
    # A filter URL opened directly shows the same, with the form reflecting it
    page.goto("/dashboard?route=costcenter")
    assert listed(page) == [warning["subunique"], done["subunique"]]
    expect(page.locator("select[name=route]")).to_have_value("costcenter")
    expect(page.locator("select[name=status]")).to_have_value("")
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url("**/dashboard")
    assert len(listed(page)) == 3


def test_another_companys_processes_never_appear(server, credentials, add_company, open_page):
    # Given two companies, each with processes
    other = add_company("b000202")
    mine = send(server, credentials, "costcenter", [{"codigo": "CC1", "nome": "Adm"}])
    theirs = [
        send(server, other, "costcenter", [{"codigo": "CC1", "nome": "Adm"}]),
        send(server, other, "people", [{"matricula": "1", "cpf": "123", **ADMITTED}]),
    ]
    for accepted in theirs:
        wait_final(server, other, accepted["subunique"])
    wait_final(server, credentials, mine["subunique"])

    # When the first company opens its dashboard, Then only its own process is there
    page = open_page(server, credentials)
    page.goto("/dashboard")
    assert listed(page) == [mine["subunique"]]
    html = page.content()
    for accepted in theirs:
        assert accepted["subunique"] not in html
        assert accepted["unique"] not in html
    page.goto("/dashboard?status=error")
    assert listed(page) == []
    # and the other company's process cannot be opened: it does not exist for this one
    response = page.goto(f"/dashboard/process/{theirs[1]['subunique']}")
    assert response.status == 404
    assert response.json() == error_body(404, "Process not found")

    # When the other company opens its dashboard, Then it sees its own two only
    other_page = open_page(server, other)
    other_page.goto("/dashboard")
    assert listed(other_page) == [theirs[1]["subunique"], theirs[0]["subunique"]]
    expect(other_page.locator("header .company")).to_have_text("b000202")
    assert mine["subunique"] not in other_page.content()


def refused(page, path: str):  # type: ignore[no-untyped-def]
    """Open `path` where the browser cannot log in, and return the server's last answer.

    Without credentials Chromium gives up on the challenge (net::ERR_INVALID_AUTH_CREDENTIALS)
    and the navigation fails; with wrong ones it shows the 401 it finally got.
    """
    with page.expect_response(lambda response: response.url.endswith(path)) as answer:
        try:
            page.goto(path)
        except PlaywrightError as error:
            assert "net::ERR_INVALID_AUTH_CREDENTIALS" in error.message
    return answer.value


def test_wrong_or_missing_credentials_get_401_and_no_process_route_403(
    api_server, credentials, add_user, open_page
):
    challenge = 'Basic realm="itg"'
    unauthorized = error_body(401, "Unauthorized")
    # Given no credentials, or a wrong password, Then the JSON 401 with the Basic challenge
    wrong = type(credentials)(credentials.company, credentials.username, "not-the-password")
    for who, path in [
        (None, "/dashboard"),
        (wrong, "/dashboard"),
        (wrong, "/dashboard/process/1f0c9a2e"),
    ]:
        page = open_page(api_server, who)
        response = refused(page, path)
        assert (response.status, response.headers["www-authenticate"]) == (401, challenge)
        # the browser drops the body of a challenge it gave up on; the context's HTTP
        # client (same credentials) reads it
        answer = page.request.get(path)
        assert (answer.status, answer.json()) == (401, unauthorized)
    # Given a service user without the `process` route, Then 403
    writer = add_user(credentials.company, "writer", "people,costcenter")
    response = open_page(api_server, writer).goto("/dashboard")
    assert response.status == 403
    assert response.json() == error_body(403, "Forbidden")


def test_a_canceled_process_turns_to_its_own_purple_badge(api_server, credentials, open_page):
    # Given a queued request on the dashboard (no worker runs: it stays queued), the page
    # refreshing itself because it is unfinished
    accepted = send(api_server, credentials, "costcenter", [{"codigo": "CC9", "nome": "Adm"}])
    page = open_page(api_server, credentials)
    page.goto("/dashboard")
    row = page.locator(f'{ROWS}[data-subunique="{accepted["subunique"]}"]')
    expect(row.locator(".badge")).to_have_text("queued")
    # When it is canceled through the API (SPEC 1.9)
    auth = httpx.BasicAuth(credentials.username, credentials.password)
    canceled = httpx.post(
        f"{api_server.base_url}/process/cancel",
        params={"subunique": accepted["subunique"]},
        auth=auth,
        timeout=10,
    )
    assert (canceled.status_code, canceled.json()["status"]) == (200, "canceled")
    # Then the refreshed row shows the `canceled` badge in its own colour (#6d4c9f), and the
    # process page says so too
    expect(row.locator(".badge")).to_have_text("canceled", timeout=15_000)
    expect(row.locator(".badge")).to_have_css("background-color", "rgb(109, 76, 159)")
    page.goto(f"/dashboard/process/{accepted['subunique']}")
    expect(page.locator("h1 .badge")).to_have_text("canceled")
