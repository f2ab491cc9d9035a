"""kill -9 of `itg serve` between a request's commit and its answer, then the client's retry
with the same idempotency key (SPEC 1.8): the original subunique, nothing stored or applied
twice. The kill comes from the fault hooks of tests/faults.py (`kill_after_store`), installed
in the real server by tests/crash/faulty_itg.py; the client is itg's own (itg/client.py)."""

from __future__ import annotations

import pytest

from itg.client import Client, ItgTransportError
from tests.builders import person
from tests.faults import FaultHooks
from tests.processes import EXIT_SECONDS, Itg

pytestmark = pytest.mark.e2e

PEOPLE = [person(f"K{n}") for n in range(3)]


def test_a_retry_after_the_server_died_before_answering_gets_the_original_answer(itg: Itg):
    # Given a server that dies right after committing a write request, before answering
    doomed = itg.serve(workers=0, faults=FaultHooks(kill_after_store=True))
    creds = doomed.credentials
    # When the client sends people under a key and gets no answer (no retry: the server is gone)
    with (
        Client(doomed.base_url, creds.username, creds.password, retries=0) as client,
        pytest.raises(ItgTransportError),
    ):
        client.send("people", PEOPLE, key_prefix="crash")
    doomed.process.wait(timeout=EXIT_SECONDS)
    # Then the request was committed, with its key
    [stored] = itg.requests()
    # When the same send is retried with the same key against a restarted server
    server = itg.serve(workers=1)
    with Client(server.base_url, creds.username, creds.password) as client:
        [accepted] = client.send("people", PEOPLE, key_prefix="crash")
        report = client.wait(accepted.subunique, timeout=60)
    # Then it got the original subunique as a replay, and the people were applied once
    assert (accepted.subunique, accepted.replayed) == (stored["subunique"], True)
    assert report["status"] == "done"
    assert len(itg.requests()) == 1
    assert sorted(matricula for _, matricula, _ in itg.people()) == ["K0", "K1", "K2"]
