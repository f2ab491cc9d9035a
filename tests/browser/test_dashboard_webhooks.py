"""The dashboard's process page shows its completion webhooks (SPEC 1.12, 5): each endpoint's
URL, the event's status, its attempts and the last result; it keeps refreshing while one is
pending. In-process HTML, as tests/browser/test_dashboard_pages.py, then once in a real
headless Chromium against `itg serve` and a real receiver."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from itg.domain.webhook_signature import new_secret
from itg.storage import webhooks
from itg.timeutil import utcnow
from tests.browser.test_dashboard_pages import GOOD, live_poll, send
from tests.processes import environment, run_itg

HOSTILE_URL = 'https://h.example/?q=<script>"x"</script>'
DELIVERY_ROW = re.compile(
    r'<tr data-event="(msg_[0-9a-f]{32})" data-status="([a-z]+)">\s*'
    r'<td class="mono url">(.*?)</td>\s*'
    r'<td><span class="badge delivery ([a-z]+)">([a-z]+)</span></td>\s*'
    r'<td class="num attempts">(\d+)</td>\s*'
    r'<td class="last">(.*?)</td>',
    re.S,
)


def deliveries_shown(text: str) -> list[tuple[str, str, str, str, str]]:
    """(status, url, badge colour, attempts, last result) of each row."""
    return [
        (status, url, colour, attempts, last)
        for _event, status, url, colour, shown, attempts, last in DELIVERY_ROW.findall(text)
        if shown == status
    ]


def test_the_process_page_shows_each_endpoints_delivery_state(client, tenant, db, run_worker):
    # Given two endpoints (one URL holding HTML) and a finished process
    webhooks.add_endpoint(db, tenant.code, "https://a.example/hook", new_secret())
    webhooks.add_endpoint(db, tenant.code, HOSTILE_URL, new_secret())
    sub = send(client, tenant.headers, [GOOD])
    run_worker()
    # When its page is opened before any attempt
    before = client.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    # Then both events are pending, not tried yet, the URL escaped, and the page refreshes
    assert before.status_code == 200
    escaped = "https://h.example/?q=&lt;script&gt;&#34;x&#34;&lt;/script&gt;"
    assert deliveries_shown(before.text) == [
        (
            "pending",
            "https://a.example/hook",
            "queued",
            "0",
            '<span class="muted">not tried yet</span>',
        ),
        ("pending", escaped, "queued", "0", '<span class="muted">not tried yet</span>'),
    ]
    assert HOSTILE_URL not in before.text
    assert live_poll(before) == "5000"
    assert "Updating every few seconds while webhook deliveries are pending." in before.text
    # When the first is delivered and the second answers 500, then times out and is given up
    first, second = sorted(webhooks.claim_due(db, 10, 60), key=lambda d: d.endpoint_id)
    webhooks.record_attempt(db, first, status_code=204, error=None, delivered=True, retry_at=None)
    webhooks.record_attempt(
        db, second, status_code=500, error=None, delivered=False, retry_at=utcnow()
    )
    middle = client.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    (again,) = webhooks.claim_due(db, 10, 60)
    webhooks.record_attempt(
        db, again, status_code=None, error="timeout", delivered=False, retry_at=None
    )
    after = client.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    # Then the page shows each state, and stops refreshing once none is pending
    assert deliveries_shown(middle.text) == [
        ("delivered", "https://a.example/hook", "done", "1", "HTTP 204"),
        ("pending", escaped, "queued", "1", "HTTP 500"),
    ]
    assert live_poll(middle) == "5000"
    assert deliveries_shown(after.text) == [
        ("delivered", "https://a.example/hook", "done", "1", "HTTP 204"),
        ("failed", escaped, "error", "2", "timeout"),
    ]
    assert live_poll(after) == "0"
    assert "Updating" not in after.text


def test_a_process_without_endpoints_shows_no_delivery_table(client, tenant, run_worker):
    sub = send(client, tenant.headers, [GOOD])
    run_worker()
    response = client.get(f"/dashboard/process/{sub}", headers=tenant.headers)
    assert response.status_code == 200
    assert "Webhook deliveries" not in response.text
    assert live_poll(response) == "0"


# -- in Chromium -------------------------------------------------------------------------------


@pytest.fixture
def itg_env(tmp_path: Path) -> dict[str, str]:
    """This folder's environment, with a one-second webhook retry."""
    return environment(
        f"sqlite:///{tmp_path / 'itg.db'}",
        chunk_size=10,
        poll_seconds=0.1,
        webhook_retry_seconds="1",
    )


@pytest.fixture
def refusing_once() -> Iterator[str]:
    """A real receiver on 127.0.0.1 answering 500 to its first request, 204 after; its URL."""
    answers = iter([500])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(next(answers, 204))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    receiver.shutdown()
    receiver.server_close()


@pytest.mark.browser
def test_the_process_page_follows_a_delivery_to_delivered_in_chromium(
    server, credentials, open_page, refusing_once, tmp_path: Path, itg_env
):
    # Given an endpoint whose receiver refuses the first attempt
    run_itg(
        "webhook", "add", "--company", credentials.company, refusing_once, cwd=tmp_path, env=itg_env
    )
    # When a process is sent and its page opened
    with server.client() as http:
        answer = http.post("/costcenter", json=[GOOD])
    assert answer.status_code == 200, answer.text
    page = open_page(server, credentials)
    assert page.goto(f"/dashboard/process/{answer.json()['subunique']}").status == 200
    # Then the page, refreshing by itself, ends with the event delivered on its second attempt
    row = page.locator("table.delivery-table tbody tr")
    expect(row).to_have_attribute("data-status", "delivered", timeout=60_000)
    expect(row.locator("td.url")).to_have_text(refusing_once)
    expect(row.locator("td.attempts")).to_have_text("2")
    expect(row.locator("td.last")).to_have_text("HTTP 204")
    expect(row.locator(".badge")).to_have_text("delivered")
    expect(page.locator(".note")).to_have_count(0)
