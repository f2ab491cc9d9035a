"""SPEC 1.11: `POST /<route>?dry_run=true` runs every record rule and stores nothing.

Both engines. For every route, a request dry-run and then really sent (a real worker drains
the queue) is reported alike; every table of the database is identical before and after a
dry run; the request-level checks of SPEC 1.4 answer exactly as for a real POST, plus
`Invalid dry_run`; the rate limit counts a dry run, the backlog quota does not refuse it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from itg.domain import messages as msg
from itg.dry_run import Rehearsal, rehearse
from itg.services import registry
from itg.services.base import Service
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.schema import metadata
from tests import engines
from tests.builders import (
    ANA,
    BIA,
    absence,
    advance,
    branch,
    cnpj,
    cpf,
    entry,
    errors,
    payment,
    person,
    user,
)
from tests.driving import drain
from tests.tables import Tables

settings = engines.settings  # every test here on both engines

Record = dict[str, Any]

# Per route: records that succeed, fail, and depend on the records before them (also across
# the chunks of two records the tests use). Set-up: employees ANA and BIA, reason ATM.
BATCHES: dict[str, list[Record]] = {
    "people": [
        person("M1", cpf=cpf(1)),
        person("M2", cpf=cpf(1)),  # the CPF of the record before it
        person("M3", dataAdmissao="31/02/2024"),
        {"matricula": "M1", "nome": "Renamed"},  # an update of the first record
        person("M\x005"),  # U+0000 in the identifier (invalid key)
    ],
    "absences": [
        absence("a"),
        absence("a", "2024-02-01", "2024-02-02"),  # the code of the record before it
        absence("b", operation="ALT"),
        absence("c", matricula="ghost"),
        absence("a", "2024-03-01", "2024-03-02", operation="ALT"),
    ],
    "paymentDate": [
        payment(2024, 4),
        payment(2024, 13),
        payment(2024, 4, "2024-04-31"),
        payment(2024, 5, operation="DEL"),
    ],
    "anticipate": [
        advance("x"),
        advance("x"),  # the code of the record before it
        advance("y", matricula="ghost"),
        advance("x", valor="10,00", operation="ALT"),
        advance("z", valor="abc", matricula=BIA),
    ],
    "subsidiaries": [branch(cnpj(1)), branch("123"), branch(cnpj(1), razaoSocial="Outra")],
    "costcenter": [
        {"codigo": "C1", "nome": "Um"},
        {"codigo": "", "nome": "Sem codigo"},
        {"codigo": "C\x002", "nome": "Nul"},
        {"codigo": "C1", "nome": "Renomeado"},
    ],
    "users": [
        user("a@example.com"),
        user("not-an-email"),
        user("b@example.com", perfil="Inexistente"),
        user("A@example.com", perfilNovo="Administrador"),
    ],
}


def test_every_route_has_a_batch():
    assert set(BATCHES) == set(registry.SERVICES)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (what a dry run must leave alone)."""
    with db.read() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in metadata.sorted_tables
        }


def ready(db: Database, tenant) -> None:
    tables = Tables(db, tenant)
    tables.reason("ATM", "Atestado médico")


def dry_run(client, route: str, records: Any, headers: dict[str, str], value: str = "true"):
    return client.post(f"/{route}?dry_run={value}", content=orjson.dumps(records), headers=headers)


def outcome(report: Record) -> tuple[Any, Any, Any]:
    return report["status"], report["progress"], report["data"]["errors"]


@pytest.mark.parametrize("route", sorted(BATCHES))
def test_a_dry_run_reports_what_the_real_run_then_does(
    route, make_client, db, tenant, settings: Settings
):
    # Given a company with employees and a reason, and chunks of two records
    small = replace(settings, chunk_size=2)
    client = make_client(chunk_size=2)
    ready(db, tenant)
    people = client.post("/people", json=[person(ANA), person(BIA)], headers=tenant.headers)
    assert people.status_code == 200
    drain(db, small)
    before = snapshot(db)

    # When the route's batch is dry-run
    answer = dry_run(client, route, BATCHES[route], tenant.headers)

    # Then it answers the documented body, and nothing changed in any table
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["company", "dry_run", "status", "progress", "data"]
    assert (body["company"], body["dry_run"]) == (tenant.code, True)
    assert body["status"] == "warning", body  # some records pass, some fail
    assert snapshot(db) == before

    # And sent for real, the monitor shows exactly the same status, progress and errors
    sent = client.post(f"/{route}", content=orjson.dumps(BATCHES[route]), headers=tenant.headers)
    assert sent.status_code == 200, sent.text
    assert drain(db, small) == 1
    report = client.get(
        "/process", params={"subunique": sent.json()["subunique"]}, headers=tenant.headers
    )
    assert outcome(report.json()) == outcome(body)


def test_a_record_sees_the_records_before_it(client, db, tenant):
    # Two people with one CPF in one request: the second fails as it would when applied
    records = [person("1", cpf=cpf(7)), person("2", cpf=cpf(7))]
    answer = dry_run(client, "people", records, tenant.headers)
    assert answer.status_code == 200
    assert answer.json()["status"] == "warning"
    assert errors(answer.json()) == [entry(1, "2", msg.CPF_TAKEN)]
    assert Tables(db, tenant).people_count() == 0


def test_a_dry_run_sees_the_committed_data_of_its_company_only(
    client, db, tenant, other_company, run_worker
):
    # Given a person of the other company holding a CPF, and one of this company
    theirs = [person("1", cpf=cpf(3))]
    assert client.post("/people", json=theirs, headers=other_company.headers).status_code == 200
    ours = [person("9", cpf=cpf(4))]
    assert client.post("/people", json=ours, headers=tenant.headers).status_code == 200
    assert run_worker() == 2
    # When this company dry-runs people with both CPFs
    answer = dry_run(
        client, "people", [person("1", cpf=cpf(3)), person("2", cpf=cpf(4))], tenant.headers
    )
    # Then only its own committed person counts
    assert answer.json()["status"] == "warning"
    assert errors(answer.json()) == [entry(1, "2", msg.CPF_TAKEN)]


def test_every_record_valid_is_done_and_all_failed_is_error(client, tenant):
    done = dry_run(client, "costcenter", [{"codigo": "A", "nome": "A"}], tenant.headers).json()
    assert done == {
        "company": tenant.code,
        "dry_run": True,
        "status": "done",
        "progress": {"done": "1", "total": "1"},
        "data": {"errors": []},
    }
    failed = dry_run(client, "costcenter", [{"nome": "A"}, {"codigo": "B"}], tenant.headers)
    assert failed.json()["status"] == "error"
    assert failed.json()["progress"] == {"done": "2", "total": "2"}
    assert errors(failed.json()) == [
        entry(0, "", msg.required("codigo")),
        entry(1, "B", msg.required("nome")),
    ]


# --- the dry_run parameter ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", " Yes ", "tRuE"])
def test_the_values_that_mean_a_dry_run(client, tenant, stored_requests, value):
    answer = dry_run(client, "costcenter", [{"codigo": "A", "nome": "A"}], tenant.headers, value)
    assert answer.status_code == 200
    assert answer.json()["dry_run"] is True
    assert stored_requests() == 0


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no", " No ", "", "%20"])
def test_the_values_that_mean_a_real_post(client, tenant, stored_requests, value):
    answer = dry_run(client, "costcenter", [{"codigo": "A", "nome": "A"}], tenant.headers, value)
    assert answer.status_code == 200
    assert set(answer.json()) == {"company", "unique", "subunique", "message"}
    assert stored_requests() == 1


@pytest.mark.parametrize("value", ["treu", "2", "y", "on", "true1", "sim"])
def test_any_other_value_is_refused(client, tenant, stored_requests, assert_error, value):
    answer = dry_run(client, "costcenter", [{"codigo": "A", "nome": "A"}], tenant.headers, value)
    assert_error(answer, 400, "Invalid dry_run")
    assert stored_requests() == 0


# --- request-level checks, exactly as a real POST ------------------------------------------


def test_credentials_and_permission_as_for_a_real_post(client, tenant, add_user, assert_error):
    records = [{"codigo": "A", "nome": "A"}]
    assert_error(dry_run(client, "costcenter", records, {}), 401, "Unauthorized")
    wrong = {"Authorization": "Basic d3Jvbmc6d3Jvbmc="}
    assert_error(dry_run(client, "costcenter", records, wrong), 401, "Unauthorized")
    people_only = add_user("people-only", tenant, ("people",))
    assert_error(dry_run(client, "costcenter", records, people_only.headers), 403, "Forbidden")


def test_the_checks_come_in_the_order_of_spec_1_4(client, tenant, assert_error):
    # Authentication before the dry_run value; Accept-Version and the key before it too
    assert_error(dry_run(client, "costcenter", [{}], {}, "treu"), 401, "Unauthorized")
    version = {**tenant.headers, "Accept-Version": "v3"}
    assert_error(
        dry_run(client, "costcenter", [{}], version, "treu"), 400, "Unsupported Accept-Version: v3"
    )
    bad_key = {**tenant.headers, "Idempotency-Key": ""}
    assert_error(
        dry_run(client, "costcenter", [{}], bad_key, "treu"), 400, "Invalid Idempotency-Key"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "Invalid JSON"),
        (b"{}", "Request format must be an Array"),
        (b"[]", "Request must contain at least one record"),
        (b"[{}, 1]", "Record at index 1 must be an object"),
    ],
)
def test_shape_errors_as_for_a_real_post(client, tenant, assert_error, body, message):
    answer = client.post("/costcenter?dry_run=1", content=body, headers=tenant.headers)
    assert_error(answer, 400, message)


def test_size_and_count_limits_as_for_a_real_post(make_client, tenant, assert_error):
    client = make_client(max_body_bytes=100, max_records=2)
    too_big = [{"codigo": "A" * 200}]
    assert_error(
        dry_run(client, "costcenter", too_big, tenant.headers),
        413,
        "Request body exceeds 100 bytes",
    )
    three = [{"codigo": "A"}] * 3
    assert_error(
        dry_run(client, "costcenter", three, tenant.headers), 400, "Request exceeds 2 records"
    )


def test_an_idempotency_key_is_ignored(client, tenant, stored_requests):
    headers = {**tenant.headers, "Idempotency-Key": "k-1"}
    records = [{"codigo": "A", "nome": "A"}]
    assert dry_run(client, "costcenter", records, headers).json()["dry_run"] is True
    # The key was not consumed: a real POST with it is stored, not replayed
    real = client.post("/costcenter", json=records, headers=headers)
    assert real.status_code == 200
    assert "idempotent-replayed" not in real.headers
    assert stored_requests() == 1


# --- quotas (SPEC 1.10) --------------------------------------------------------------------


def test_the_rate_limit_counts_a_dry_run(make_client, tenant, assert_error):
    client = make_client(rate_per_second=1)
    records = [{"codigo": "A", "nome": "A"}]
    assert dry_run(client, "costcenter", records, tenant.headers).status_code == 200
    refused = dry_run(client, "costcenter", records, tenant.headers)
    assert_error(refused, 429, "Rate limit exceeded")
    assert int(refused.headers["retry-after"]) >= 1
    # ... and a real POST right after is refused as well: the dry run took its token
    assert_error(
        client.post("/costcenter", json=records, headers=tenant.headers), 429, "Rate limit exceeded"
    )


def test_a_full_backlog_does_not_refuse_a_dry_run(make_client, db, tenant, assert_error):
    client = make_client(max_pending_records=1)
    records = [{"codigo": "A", "nome": "A"}]
    assert client.post("/costcenter", json=records, headers=tenant.headers).status_code == 200
    assert_error(
        client.post("/costcenter", json=records, headers=tenant.headers),
        429,
        "Too many records waiting to be processed",
    )
    before = snapshot(db)
    answer = dry_run(client, "costcenter", records * 2, tenant.headers)
    assert answer.status_code == 200
    # It does not see the queued request ahead of it (SPEC 1.11), and adds nothing to the backlog
    assert answer.json()["status"] == "done"
    assert snapshot(db) == before


# --- a fault of a service ------------------------------------------------------------------


def test_a_fault_fails_the_remaining_records_and_is_logged(
    make_client, db, tenant, monkeypatch, caplog
):
    # Given a costcenter service that breaks on its second chunk
    service = registry.SERVICES["costcenter"]
    calls = []

    def broken(self: Service[Any], ctx, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("a bug")
        return original(self, ctx, chunk)

    original = Service.apply_chunk
    monkeypatch.setattr(Service, "apply_chunk", broken)
    client = make_client(chunk_size=2)
    records = [{"codigo": f"C{i}", "nome": "N"} for i in range(5)]
    before = snapshot(db)

    # When a request of five records is dry-run
    with caplog.at_level(logging.ERROR, logger="itg.dry_run"):
        answer = dry_run(client, service.route, records, tenant.headers)

    # Then the first chunk passed and every record from the faulty chunk on failed
    assert answer.status_code == 200
    assert answer.json()["status"] == "warning"
    assert answer.json()["progress"] == {"done": "5", "total": "5"}
    assert errors(answer.json()) == [entry(i, f"C{i}", msg.INTERNAL_ERROR) for i in (2, 3, 4)]
    assert [r for r in caplog.records if r.name == "itg.dry_run"][0].exc_info is not None
    assert snapshot(db) == before
    # and the transaction was let go: a real POST is stored
    monkeypatch.undo()
    assert client.post("/costcenter", json=records, headers=tenant.headers).status_code == 200


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_on_sqlite_a_dry_run_queues_for_the_write_lock_like_a_chunk(db, tenant):
    # Given a writer of this process inside its transaction (a worker's chunk, an accept)
    holding, release = threading.Event(), threading.Event()

    def write() -> None:
        with db.write():
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=write)
    writer.start()
    assert holding.wait(30)
    # When a dry run starts meanwhile
    outcome: list[Rehearsal] = []
    payload = b'[{"codigo": "A", "nome": "A"}]'
    service = registry.SERVICES["costcenter"]
    rehearsal = threading.Thread(
        target=lambda: outcome.append(rehearse(db, service, tenant.id, payload, 100))
    )
    rehearsal.start()
    # Then it waits for the writer, and runs once the writer has committed
    rehearsal.join(0.5)
    assert rehearsal.is_alive() and outcome == []
    release.set()
    writer.join(30)
    rehearsal.join(30)
    assert [r.status for r in outcome] == ["done"]
    # and it let the lock go: the next writer gets it
    with db.write():
        pass
