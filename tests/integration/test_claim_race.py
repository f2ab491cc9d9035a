"""FIFO per company under a racing claim (PostgreSQL, where claims run concurrently).

Found by tests/crash/test_race_fifo.py: a worker that locked a company's first request but had
not yet marked it `processing` let a second worker skip past it (SKIP LOCKED) and start the
company's SECOND request first. A claim must never start a request while an earlier request of
its company is unfinished.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.queue import claim_next
from itg.storage.schema import requests

RECORD = {"codigo": "CC1", "nome": "Centro"}
# SQLite serialises claims (one writer at a time), so this race exists on PostgreSQL only.
pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(pg_settings: Settings) -> Settings:
    return pg_settings


def test_a_later_request_is_not_claimed_while_an_earlier_one_is_locked(
    db: Database, settings: Settings, store, other_company
) -> None:
    # Given a company with two queued requests, and another company with one
    first = store.accept([RECORD], route="costcenter")
    store.accept([RECORD], route="costcenter")
    other = store.accept([RECORD], route="costcenter", tenant=other_company)
    # When a claimer holds the first request locked (as claim_next does before its UPDATE)
    with db.engine.connect() as holder, holder.begin():
        holder.execute(
            select(requests.c.id).where(requests.c.subunique == first.subunique).with_for_update()
        )
        claim = claim_next(db, settings.lease_seconds)
    # Then another claimer takes the other company's request, never the second of the first
    assert claim is not None
    with db.read() as conn:
        claimed = conn.execute(
            select(requests.c.subunique).where(requests.c.id == claim.request_id)
        ).scalar_one()
    assert claimed == other.subunique
