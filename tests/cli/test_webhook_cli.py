"""`itg webhook add|list|remove|deliveries` (SPEC 1.12, 4), run as a real `python -m itg`
subprocess: exact stdout, stderr and exit status."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest

from itg.storage import webhooks
from itg.timeutil import utcnow
from tests.cli.conftest import finished_process

ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
ADD_LINES = re.compile(r"id: (\d+)\nurl: (\S+)\nsecret: (whsec_[A-Za-z0-9+/=]+)\n")


def test_add_prints_the_id_url_and_secret_once_and_list_never_shows_the_secret(cli, initialized):
    # When two endpoints are added, plainly and with --json
    plain = cli.ok("webhook", "add", "--company", "a000001", "https://hooks.example/itg")
    as_json = cli.ok("webhook", "add", "--company", "a000001", "http://10.0.0.5:8080/h", "--json")
    # Then the first prints its three lines, the second its JSON, each secret 24 random bytes
    match = ADD_LINES.fullmatch(plain.stdout)
    assert match is not None, plain.stdout
    assert (match.group(1), match.group(2)) == ("1", "https://hooks.example/itg")
    added = as_json.json()
    assert isinstance(added, dict)
    assert set(added) == {"id", "company", "url", "secret"}
    assert (added["id"], added["company"], added["url"]) == (2, "a000001", "http://10.0.0.5:8080/h")
    for secret in (match.group(3), added["secret"]):
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert match.group(3) != added["secret"]
    # And list shows both, without secrets
    listed = cli.ok("webhook", "list", "--company", "a000001")
    assert re.fullmatch(
        rf"1\thttps://hooks\.example/itg\t{ISO_UTC}\n2\thttp://10\.0\.0\.5:8080/h\t{ISO_UTC}\n",
        listed.stdout,
    ), listed.stdout
    listed_json = cli.ok("webhook", "list", "--company", "a000001", "--json").json()
    assert isinstance(listed_json, list)
    assert [(e["id"], e["url"]) for e in listed_json] == [
        (1, "https://hooks.example/itg"),
        (2, "http://10.0.0.5:8080/h"),
    ]
    assert all(set(e) == {"id", "url", "created_at"} for e in listed_json)
    assert "whsec_" not in listed.stdout + str(listed_json)


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example/", "hooks.example/itg", "https://", "http:///path", "not a url"]
)
def test_add_refuses_a_url_that_is_not_http_with_a_host(cli, initialized, url):
    result = cli("webhook", "add", "--company", "a000001", url)
    assert (result.status, result.stdout) == (2, "")
    assert result.stderr == (
        f"itg: error: webhook URL must be http:// or https:// with a host, got {url!r}\n"
    )


def test_add_and_list_for_an_unknown_company_fail(cli, initialized):
    for args in (("add", "--company", "z999", "https://h.example/"), ("list", "--company", "z999")):
        result = cli("webhook", *args)
        assert (result.status, result.stdout, result.stderr) == (
            1,
            "",
            "itg: error: company z999 not found\n",
        )


def test_remove_deletes_the_endpoint_and_an_unknown_id_fails(cli, initialized):
    cli.ok("webhook", "add", "--company", "a000001", "https://hooks.example/itg")
    assert cli.ok("webhook", "remove", "1").stdout == "removed 1\n"
    assert cli.ok("webhook", "list", "--company", "a000001").stdout == ""
    again = cli("webhook", "remove", "1")
    assert (again.status, again.stdout, again.stderr) == (
        1,
        "",
        "itg: error: Webhook endpoint not found: 1\n",
    )


def test_deliveries_lists_each_event_with_its_attempts(cli, initialized, database):
    # Given two endpoints and a finished process: one event retried after a 500, one failed
    cli.ok("webhook", "add", "--company", "a000001", "https://a.example/")
    cli.ok("webhook", "add", "--company", "a000001", "https://b.example/")
    with database() as db:
        _, accepted = finished_process(db, cli.database_url)
        first, second = sorted(webhooks.claim_due(db, 10, 60), key=lambda d: d.endpoint_id)
        retry_at = utcnow().replace(microsecond=0) + timedelta(days=365)
        webhooks.record_attempt(
            db, first, status_code=500, error=None, delivered=False, retry_at=retry_at
        )
        webhooks.record_attempt(
            db, second, status_code=None, error="timeout", delivered=False, retry_at=None
        )
    # When deliveries are listed, all, failed only, and as JSON
    every = cli.ok("webhook", "deliveries", "--company", "a000001")
    failed = cli.ok("webhook", "deliveries", "--company", "a000001", "--failed")
    as_json = cli.ok("webhook", "deliveries", "--company", "a000001", "--json").json()
    # Then each line is: event id, endpoint id, subunique, status, attempts, last result
    sub = accepted.subunique
    assert every.lines == [
        f"{first.event_id}\t1\t{sub}\tpending\t1\t500",
        f"{second.event_id}\t2\t{sub}\tfailed\t1\ttimeout",
    ]
    assert failed.lines == [f"{second.event_id}\t2\t{sub}\tfailed\t1\ttimeout"]
    assert isinstance(as_json, list)
    assert [{k: v for k, v in e.items() if k != "attempts"} for e in as_json] == [
        {
            "event_id": first.event_id,
            "endpoint_id": 1,
            "url": "https://a.example/",
            "subunique": sub,
            "status": "pending",
            "next_attempt_at": retry_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        {
            "event_id": second.event_id,
            "endpoint_id": 2,
            "url": "https://b.example/",
            "subunique": sub,
            "status": "failed",
            "next_attempt_at": None,
        },
    ]
    attempts = [e["attempts"] for e in as_json]
    assert [[(a["attempt"], a["status_code"], a["error"]) for a in each] for each in attempts] == [
        [(1, 500, None)],
        [(1, None, "timeout")],
    ]
    assert all(re.fullmatch(ISO_UTC, a["at"]) for each in attempts for a in each)


def test_deliveries_of_a_company_without_events_prints_nothing(cli, initialized):
    assert cli.ok("webhook", "deliveries", "--company", "a000001").stdout == ""
    assert cli.ok("webhook", "deliveries", "--company", "a000001", "--json").json() == []
