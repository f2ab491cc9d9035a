"""Applying works per chunk (SPEC 6): one query per table to load what a chunk touches, then
batched writes, so the number of SQL statements does not grow with the chunk's size."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from itg.domain.catalog import CatalogKind
from itg.settings import Settings
from itg.storage.catalogs import add_entry
from itg.storage.database import Database
from itg.worker import Worker
from tests.builders import cpf, person, pis
from tests.driving import recording_statements


def statements_to_apply(
    store, db: Database, settings: Settings, records: list[dict], failing: bool
) -> list[str]:
    """The statements one worker issues to claim and apply a one-chunk request (their first
    three words; an executemany counts once)."""
    accepted = store.accept(records)
    with recording_statements(db) as statements:
        assert Worker(db, settings).run_once() is True
    row = store.request(accepted.subunique)
    assert (row["done"], row["failed"]) == (len(records), len(records) // 2 if failing else 0)
    return [" ".join(statement.split()[:3]) for statement in statements]


def full_person(seed: int, prefix: str = "N") -> dict:
    """A person with CPF, PIS, e-mail, cost center and schedule (every lookup in play)."""
    return person(
        f"{prefix}{seed}",
        cpf=cpf(seed),
        pis=pis(seed),
        sem_pis=False,
        email=f"p{seed}@example.com",
        centro_custo="CC1",
        escala_padrao="esc",
    )


def inserts(seeds: range) -> list[dict]:
    return [full_person(seed) for seed in seeds]


def updates(seeds: range) -> list[dict]:
    """Updates of stored people: own CPF/PIS/e-mail resent, name changed."""
    return [{**full_person(seed), "nome": f"Novo {seed}"} for seed in seeds]


def transfers(seeds: range) -> list[dict]:
    """Every stored person moves to a new matrícula."""
    return [{"matricula": f"T{seed}", "matricula_anterior": f"N{seed}"} for seed in seeds]


def mixed(seeds: range) -> list[dict]:
    """Every other record fails: it repeats the CPF of the record before it."""
    records = []
    for seed in seeds[::2]:
        records.append(full_person(seed, "X"))
        records.append({**full_person(seed + 1, "X"), "cpf": cpf(seed)})
    return records


KINDS: dict[str, tuple[Callable[..., list[dict]], bool, bool, int]] = {
    # kind: (records, people must exist first, half the records fail, people in the end)
    "inserts": (inserts, False, False, 110),
    "updates": (updates, True, False, 110),
    "transfers": (transfers, True, False, 110),
    "mixed": (mixed, False, True, 55),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_chunk_of_100_issues_as_many_statements_as_a_chunk_of_10(
    store, api, db: Database, tenant, settings: Settings, kind: str
):
    # Given a cost center, a schedule and, for updates and transfers, the people themselves
    build, existing, failing, stored = KINDS[kind]
    api.apply("costcenter", [{"codigo": "CC1", "nome": "Centro 1"}])
    add_entry(db, CatalogKind.SCHEDULE, tenant.code, "ESC", "Escala")
    small_seeds, large_seeds = range(1000, 1010), range(2000, 2100)
    if existing:
        api.apply("people", inserts(small_seeds))
        api.apply("people", inserts(large_seeds))
    assert settings.chunk_size == 100
    # When a worker applies a 10-record request, then a 100-record one (one chunk each)
    small = statements_to_apply(store, db, settings, build(small_seeds), failing)
    large = statements_to_apply(store, db, settings, build(large_seeds), failing)
    # Then both issued the same statements: nothing per record
    assert len(small) == len(large)
    assert small == large
    # (the claim's 7: find the heads, read the claimable ones; take one, read it with its
    # payload, mark its company served; the chunk's 9 at most, the backlog counter's included;
    # the final chunk's lookup of webhook endpoints, SPEC 1.12)
    assert len(small) <= 17, small
    assert store.people_count() == stored
