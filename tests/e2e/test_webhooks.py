"""Completion webhooks end to end (SPEC 1.12): real `itg serve` processes on SQLite and on
PostgreSQL deliver to a real local HTTP receiver (tests/webhook_receiver.py), and every
signature is checked with the `standardwebhooks` package from the index, not with itg's code.

- one event per endpoint per finished process, with the documented body, matching
  `GET /process`;
- a failing receiver gets the same `webhook-id` again, after growing delays, until it answers
  2xx; one that never succeeds ends `failed` after the give-up window;
- a receiver that never answers slows neither record processing nor another company's
  deliveries.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from tests import webhook_receiver as receivers
from tests.builders import invalid_person, person
from tests.crash.helpers import ACCEPTED_PEOPLE, post
from tests.processes import Itg, Server, wait_until
from tests.webhook_receiver import (
    FOREVER,
    Answer,
    Endpoint,
    Received,
    Receiver,
    add_endpoint,
    deliveries,
    delivery,
    verified,
)

pytestmark = pytest.mark.e2e

webhook_receiver = receivers.webhook_receiver

DATA_KEYS = [
    "company",
    "created_at",
    "errors",
    "finished_at",
    "progress",
    "route",
    "status",
    "subunique",
    "unique",
]
# Whatever the machine's load, a delivery that is due is made well within this.
DELIVERY_SECONDS = 30.0


def report(server: Server, tenant: Any, subunique: str) -> dict[str, Any]:
    with server.client(tenant) as client:
        response = client.get("/process", params={"subunique": subunique})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_documented_event(received: Received, endpoint: Endpoint, process: dict[str, Any]):
    """The request is a signed POST of the documented body, describing `process` (the
    monitor's body of the finished process) exactly."""
    assert received.method == "POST"
    event = verified(received, endpoint)
    assert event == received.json()
    assert sorted(event) == ["data", "timestamp", "type"], event
    assert event["type"] == "process.finished"
    datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))  # ISO 8601
    assert sorted(event["data"]) == DATA_KEYS, event
    assert event["data"] == {
        "company": process["company"],
        "unique": process["unique"],
        "subunique": process["subunique"],
        "route": process["route"],
        "status": process["status"],
        "progress": process["progress"],
        "errors": len(process["data"]["errors"]),
        "created_at": process["created_at"],
        "finished_at": process["finished_at"],
    }
    # The headers of Standard Webhooks: a Unix-seconds timestamp of now, a v1 signature
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 300
    assert received.headers["webhook-signature"].startswith("v1,")


def test_each_endpoint_gets_one_signed_event_per_finished_process(
    itg: Itg, webhook_receiver: Receiver
):
    # Given two endpoints of company A, one of company B, and one of A removed again
    a, b = itg.credentials, itg.company("b000002")
    a1 = add_endpoint(itg, a.company, webhook_receiver.url("/a1"))
    a2 = add_endpoint(itg, a.company, webhook_receiver.url("/a2"))
    gone = add_endpoint(itg, a.company, webhook_receiver.url("/gone"))
    b1 = add_endpoint(itg, b.company, webhook_receiver.url("/b1"))
    itg.run("webhook", "remove", str(gone.id))
    # And the list shows A's endpoints, never a secret again
    listed = itg.run("webhook", "list", "--company", a.company, "--json")
    assert a1.url in listed and a2.url in listed and gone.url not in listed, listed
    assert a1.secret not in listed and a2.secret not in listed, listed
    assert len({a1.secret, a2.secret, b1.secret}) == 3
    assert all(e.secret.startswith("whsec_") for e in (a1, a2, b1))
    server = itg.serve(workers=1)

    # When A sends a request that ends `warning` and B one that ends `done`
    with server.client(a) as client:
        sent_a = post(client, "people", [person("A1"), invalid_person("A2")], ACCEPTED_PEOPLE)
    with server.client(b) as client:
        sent_b = post(client, "people", [person("B1")], ACCEPTED_PEOPLE)
    webhook_receiver.wait_for(3, timeout=DELIVERY_SECONDS)
    wait_until(
        lambda: all(
            d["status"] == "delivered"
            for company in (a.company, b.company)
            for d in deliveries(itg, company)
        ),
        DELIVERY_SECONDS,
        "every delivery marked delivered",
        interval=0.3,
    )

    # Then each endpoint got exactly one event, of its own company's process, none went to
    # the removed endpoint
    received = webhook_receiver.received()
    assert sorted(r.path for r in received) == ["/a1", "/a2", "/b1"], received
    process_a = report(server, a, sent_a["subunique"])
    process_b = report(server, b, sent_b["subunique"])
    assert (process_a["status"], process_b["status"]) == ("warning", "done")
    by_path = {r.path: r for r in received}
    # And each is the documented body of its process, signed with its endpoint's secret
    assert_documented_event(by_path["/a1"], a1, process_a)
    assert_documented_event(by_path["/a2"], a2, process_a)
    assert_documented_event(by_path["/b1"], b1, process_b)
    assert by_path["/a1"].json()["data"]["errors"] == 1
    # And one event per endpoint: two distinct ids for A's process
    ids = [r.webhook_id for r in received]
    assert len(set(ids)) == 3 and all(ids), ids

    # And `itg webhook deliveries` shows each delivered at its first attempt, per company
    for company, expected in ((a.company, {a1: "/a1", a2: "/a2"}), (b.company, {b1: "/b1"})):
        listed_deliveries = deliveries(itg, company)
        assert sorted(d["endpoint_id"] for d in listed_deliveries) == sorted(e.id for e in expected)
        for endpoint, path in expected.items():
            (shown,) = [d for d in listed_deliveries if d["endpoint_id"] == endpoint.id]
            assert sorted(shown) == sorted(
                [
                    "event_id",
                    "endpoint_id",
                    "url",
                    "subunique",
                    "status",
                    "next_attempt_at",
                    "attempts",
                ]
            ), shown
            assert shown["event_id"] == by_path[path].webhook_id
            assert (shown["url"], shown["status"]) == (endpoint.url, "delivered")
            assert shown["subunique"] == by_path[path].json()["data"]["subunique"]
            assert [(t["attempt"], t["status_code"]) for t in shown["attempts"]] == [(1, 200)]
            assert sorted(shown["attempts"][0]) == ["at", "attempt", "error", "status_code"]
        assert deliveries(itg, company, failed=True) == []
    server.stop_cleanly()


def test_a_failing_receiver_gets_the_same_event_again_after_growing_delays(
    itg: Itg, webhook_receiver: Receiver
):
    # Given a receiver that answers 500 twice, then 200, and delays of 0.5 s then 1.5 s
    webhook_receiver.script("/flaky", Answer(500), Answer(500))
    endpoint = add_endpoint(itg, itg.credentials.company, webhook_receiver.url("/flaky"))
    server = itg.serve(workers=1, webhook_retry_seconds="0.5,1.5")

    # When a process finishes
    with server.client() as client:
        sent = post(client, "people", [person("R1")], ACCEPTED_PEOPLE)
    first, second, third = webhook_receiver.wait_for(3, "/flaky", timeout=DELIVERY_SECONDS)

    # Then the same event came three times, the same body, each signed
    assert first.webhook_id and first.webhook_id == second.webhook_id == third.webhook_id
    assert first.body == second.body == third.body
    for received in (first, second, third):
        assert verified(received, endpoint)["data"]["subunique"] == sent["subunique"]
    # And the delays grew (lower bounds only: a loaded machine is only ever later)
    gap1, gap2 = second.arrived - first.arrived, third.arrived - second.arrived
    assert gap1 >= 0.5 and gap2 >= 1.5, (gap1, gap2)
    assert gap2 > gap1 - 1.0, (gap1, gap2)  # slack: a stall may lengthen gap1 alone
    # And `itg webhook deliveries` shows the three attempts
    wait_until(
        lambda: delivery(itg, itg.credentials.company, first.webhook_id)["status"] == "delivered",
        DELIVERY_SECONDS,
        "the delivery marked delivered",
        interval=0.3,
    )
    shown = delivery(itg, itg.credentials.company, first.webhook_id)
    assert [(t["attempt"], t["status_code"]) for t in shown["attempts"]] == [
        (1, 500),
        (2, 500),
        (3, 200),
    ], shown
    assert shown["attempts"][2]["error"] is None, shown
    # And nothing more came after the 200
    time.sleep(1.0)
    assert len(webhook_receiver.received("/flaky")) == 3
    server.stop_cleanly()


def test_a_receiver_that_never_succeeds_ends_failed_after_the_give_up_window(
    itg: Itg, webhook_receiver: Receiver
):
    # Given one endpoint that always answers 503 and one that answers 200, short retries and
    # a give-up window of 2 s
    webhook_receiver.script("/down", then=Answer(503))
    company = itg.credentials.company
    down = add_endpoint(itg, company, webhook_receiver.url("/down"))
    add_endpoint(itg, company, webhook_receiver.url("/up"))
    server = itg.serve(workers=1, webhook_retry_seconds="0.2", webhook_give_up_seconds=2)

    # When a process finishes
    with server.client() as client:
        post(client, "people", [person("F1")], ACCEPTED_PEOPLE)

    # Then its event to the failing endpoint ends `failed`, and only it is listed as failed
    wait_until(
        lambda: len(deliveries(itg, company, failed=True)) == 1,
        DELIVERY_SECONDS,
        "the failing delivery listed by --failed",
        interval=0.3,
    )
    (failed,) = deliveries(itg, company, failed=True)
    assert (failed["endpoint_id"], failed["url"], failed["status"]) == (
        down.id,
        down.url,
        "failed",
    )
    # And every attempt was recorded with the receiver's status, at least two of them
    attempts = failed["attempts"]
    assert len(attempts) >= 2, failed
    assert [t["attempt"] for t in attempts] == list(range(1, len(attempts) + 1))
    assert {t["status_code"] for t in attempts} == {503}, failed
    # And the other endpoint's event was delivered
    statuses = sorted((d["url"], d["status"]) for d in deliveries(itg, company))
    assert statuses == sorted([(down.url, "failed"), (webhook_receiver.url("/up"), "delivered")])
    # And a failed event is not sent again
    time.sleep(1.0)
    received = webhook_receiver.received("/down")
    assert len(received) == len(attempts), (len(received), failed)
    assert {r.webhook_id for r in received} == {failed["event_id"]}
    server.stop_cleanly()


def test_a_receiver_that_never_answers_slows_neither_processing_nor_other_companies(
    itg: Itg, webhook_receiver: Receiver
):
    # Given company A's endpoint that holds every request open without answering (and an
    # attempt timeout longer than the test), and company B's endpoint that answers at once
    webhook_receiver.script("/dead", then=Answer(hold=FOREVER))
    a, b = itg.credentials, itg.company("b000002")
    add_endpoint(itg, a.company, webhook_receiver.url("/dead"))
    add_endpoint(itg, b.company, webhook_receiver.url("/b"))
    server = itg.serve(workers=1, webhook_timeout_seconds=300)

    # When A's first process finishes, and its delivery is held open
    with server.client(a) as client:
        first = post(client, "people", [person("D0")], ACCEPTED_PEOPLE)
        (held,) = webhook_receiver.wait_for(1, "/dead", timeout=DELIVERY_SECONDS)
        assert held.json()["data"]["subunique"] == first["subunique"]
        # And A sends 5 more requests
        more = [
            post(client, "people", [person(f"D{n}")], ACCEPTED_PEOPLE)["subunique"]
            for n in range(1, 6)
        ]
    # Then they all reach their final status
    wait_until(
        lambda: all(report(server, a, s)["status"] == "done" for s in more),
        DELIVERY_SECONDS,
        "A's 5 requests done",
        interval=0.2,
    )
    # And then a process of B finishes, and B's endpoint gets its event
    with server.client(b) as client:
        sent_b = post(client, "people", [person("E1")], ACCEPTED_PEOPLE)
    webhook_receiver.wait_until(
        lambda: any(r.answered is not None for r in webhook_receiver.received("/b")),
        timeout=DELIVERY_SECONDS,
        what="B's event answered",
    )
    # While A's first delivery was still open all along (checked after both: it ends once)
    assert held.ended is None, held
    (to_b,) = webhook_receiver.received("/b")
    assert to_b.json()["data"]["subunique"] == sent_b["subunique"]
    server.stop_cleanly()
