"""The credential cache of SPEC 1.1: bounded, least-recently-used, at most 5 seconds old,
and made-up usernames can never push a real user's entry out.

The Authenticator tests run on a real database of each engine and count the statements it
issues; a frozen clock keeps entries fresh however slowly a loaded machine runs them.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager

import anyio
import pytest
from starlette.requests import Request

from itg.api.auth import Authenticator, Principal
from itg.api.credential_cache import DEFAULT_LIMIT, MAX_SECONDS, CredentialCache
from itg.api.responses import ApiError
from itg.settings import Settings
from itg.storage.database import Database
from itg.storage.tenants import Credential
from tests import engines
from tests.driving import recording_statements
from tests.tenants import Tenant, basic_auth

settings = engines.settings  # every test here on both engines


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def statements(db: Database) -> AbstractContextManager[list[str]]:
    """The credential lookups (reads of service_users) sent while the block runs; the
    transaction statements around them (SQLite's BEGIN) are left out."""
    return recording_statements(db, lambda statement: "service_users" in statement)


def request_as(username: str, password: str) -> Request:
    (name, value), *_ = basic_auth(username, password).items()
    return Request({"type": "http", "headers": [(name.lower().encode(), value.encode())]})


async def login(auth: Authenticator, username: str, password: str) -> Principal | int:
    """The principal, or the status of the refusal."""
    try:
        return await auth.authenticate(request_as(username, password), "people")
    except ApiError as refused:
        return refused.status_code


async def flood_with_unknown_usernames(auth: Authenticator, count: int) -> None:
    """`count` made-up usernames in order, a few at a time (as concurrent clients would)."""
    statuses: list[Principal | int] = []
    lanes = 8

    async def lane(start: int) -> None:
        for index in range(start, count, lanes):
            statuses.append(await login(auth, f"nobody-{index}", "x"))

    async with anyio.create_task_group() as group:
        for start in range(lanes):
            group.start_soon(lane, start)
    assert statuses == [401] * count


def test_unknown_usernames_never_evict_a_valid_user(settings: Settings, db: Database, tenant):
    # Given a server that has just authenticated a valid user. On SQLite the cache has its
    # real bound (10,000); on PostgreSQL, where each lookup is a network round trip, a bound
    # of 1,000 keeps the test short; either way twice the bound of usernames follow.
    limit = DEFAULT_LIMIT if settings.database_url.startswith("sqlite") else 1000
    flood = 2 * limit
    auth = Authenticator(db, cache_seconds=2, clock=Clock(), cache_limit=limit)
    expected = Principal(tenant.id, tenant.code, tenant.username)

    async def scenario() -> None:
        with statements(db) as first:
            assert await login(auth, tenant.username, tenant.password) == expected
        assert len(first) == 1
        # When twice the cache's bound of made-up usernames try to log in
        with statements(db) as lookups:
            await flood_with_unknown_usernames(auth, flood)
        assert len(lookups) == flood
        # Then the valid user is still served from the cache, without a query
        with statements(db) as again:
            assert await login(auth, tenant.username, tenant.password) == expected
        assert again == []
        # And the made-up ones stay bounded: the latest are remembered, the oldest are not
        with statements(db) as unknown:
            assert await login(auth, f"nobody-{flood - 1}", "x") == 401
            assert await login(auth, "nobody-0", "x") == 401
        assert len(unknown) == 1
        assert len(auth._cache) <= 1 + limit

    anyio.run(scenario)


def test_entries_expire_after_the_cache_lifetime(db: Database, tenant: Tenant):
    # Given a valid user's cached entry
    clock = Clock()
    auth = Authenticator(db, cache_seconds=2, clock=clock)

    async def scenario() -> None:
        await login(auth, tenant.username, tenant.password)
        # When the lifetime has not passed, and then has
        with statements(db) as within:
            clock.now += 1.99
            await login(auth, tenant.username, tenant.password)
        with statements(db) as after:
            clock.now += 0.01
            await login(auth, tenant.username, tenant.password)
        # Then it is read again only once it is 2 seconds old
        assert (len(within), len(after)) == (0, 1)

    anyio.run(scenario)


def test_a_wrong_password_does_not_drop_the_cached_entry(db: Database, tenant: Tenant):
    # Given a valid user's cached entry
    auth = Authenticator(db, cache_seconds=2, clock=Clock())

    async def scenario() -> None:
        await login(auth, tenant.username, tenant.password)
        # When wrong passwords are tried for that user, then the right one
        with statements(db) as sent:
            assert await login(auth, tenant.username, "wrong") == 401
            assert await login(auth, tenant.username, "wrong-again") == 401
            principal = await login(auth, tenant.username, tenant.password)
        # Then every answer came from the one cached lookup
        assert principal == Principal(tenant.id, tenant.code, tenant.username)
        assert sent == []

    anyio.run(scenario)


# --- the cache itself --------------------------------------------------------------------


def credential(username: str) -> Credential:
    return Credential(username, 1, "a000101", True, True, "salt", "hash", frozenset({"all"}))


def test_least_recently_used_known_entry_is_evicted_first():
    # Given a cache of 3 known users, the first of which was just used again
    cache = CredentialCache(seconds=5, limit=3)
    for name in ("a", "b", "c"):
        cache.put(name, credential(name), now=0)
    assert cache.get("a", now=1) == (True, credential("a"))
    # When a fourth user is added
    cache.put("d", credential("d"), now=1)
    # Then the least recently used one ("b") is gone, the others stay
    assert cache.get("b", now=1) == (False, None)
    assert [cache.get(name, now=1)[0] for name in ("a", "c", "d")] == [True, True, True]


def test_unknown_usernames_are_bounded_separately():
    # Given a cache with one known user
    cache = CredentialCache(seconds=5, limit=3)
    cache.put("real", credential("real"), now=0)
    # When many unknown usernames are remembered
    for index in range(100):
        cache.put(f"nobody-{index}", None, now=0)
    # Then the known user stays, the unknown ones are the latest 3, remembered as unknown
    assert cache.get("real", now=1) == (True, credential("real"))
    assert len(cache) == 1 + 3
    assert cache.get("nobody-99", now=1) == (True, None)
    assert cache.get("nobody-0", now=1) == (False, None)


def test_a_username_created_meanwhile_moves_to_the_known_entries():
    # Given a username remembered as unknown
    cache = CredentialCache(seconds=5, limit=3)
    cache.put("late", None, now=0)
    # When it is looked up again and found
    cache.put("late", credential("late"), now=1)
    # Then it is known, and held once
    assert cache.get("late", now=2) == (True, credential("late"))
    assert len(cache) == 1


@pytest.mark.parametrize(("seconds", "fresh_until"), [(2, 2), (MAX_SECONDS, 5), (60, 5), (3600, 5)])
def test_entries_live_at_most_five_seconds(seconds: float, fresh_until: float):
    # Given a cache configured for `seconds` (SPEC 1.1 allows 5 at most)
    cache = CredentialCache(seconds)
    cache.put("user", credential("user"), now=0)
    # When it is read just before and at the end of its life
    # Then it is fresh before, gone at the end
    assert cache.get("user", now=fresh_until - 0.001) == (True, credential("user"))
    assert cache.get("user", now=fresh_until) == (False, None)


def test_a_zero_lifetime_caches_nothing():
    cache = CredentialCache(seconds=0)
    cache.put("user", credential("user"), now=0)
    assert cache.get("user", now=0) == (False, None)
    assert len(cache) == 0


def test_concurrent_use_stays_consistent_and_bounded():
    # Given a small cache shared by 8 threads writing and reading different usernames
    cache = CredentialCache(seconds=5, limit=50)
    errors: list[BaseException] = []

    def hammer(thread: int) -> None:
        try:
            for index in range(2000):
                name = f"t{thread}-{index % 120}"
                cache.put(name, credential(name) if index % 2 else None, now=0)
                found, value = cache.get(name, now=0)
                assert not found or value in (None, credential(name))
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    # When they run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then nothing failed and both maps kept their bound
    assert errors == []
    assert len(cache) <= 2 * 50
