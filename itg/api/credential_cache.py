"""A short-lived, bounded cache of credential lookups (SPEC 1.1: at most 5 seconds old).

Two least-recently-used maps: one for usernames that exist, one for usernames that do not.
Made-up usernames (a flood of them costs nothing to send) only ever evict each other, so
they can never push a real user out and make every one of its requests a query again;
remembering them briefly still spares the database one query per repeated bad request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from itg.storage.tenants import Credential

MAX_SECONDS = 5.0  # SPEC 1.1: disabling or resetting takes effect within 5 seconds
DEFAULT_LIMIT = 10_000  # per map: bounds memory whatever the usernames sent

_Entries = OrderedDict[str, tuple[float, Credential | None]]


class CredentialCache:
    """username → (expiry, Credential or None); thread-safe, entries live `seconds` at most."""

    def __init__(self, seconds: float, limit: int = DEFAULT_LIMIT) -> None:
        self._seconds = min(seconds, MAX_SECONDS)
        self._limit = limit
        self._known: _Entries = OrderedDict()
        self._unknown: _Entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, username: str, now: float) -> tuple[bool, Credential | None]:
        """(True, lookup result) when a fresh entry exists, else (False, None)."""
        with self._lock:
            for entries in (self._known, self._unknown):
                cached = entries.get(username)
                if cached is None:
                    continue
                if cached[0] <= now:
                    del entries[username]
                    return False, None
                entries.move_to_end(username)
                return True, cached[1]
            return False, None

    def put(self, username: str, credential: Credential | None, now: float) -> None:
        if self._seconds <= 0:
            return
        with self._lock:
            # A username moves between the maps when it is created or deleted meanwhile.
            self._known.pop(username, None)
            self._unknown.pop(username, None)
            entries = self._unknown if credential is None else self._known
            entries[username] = (now + self._seconds, credential)
            while len(entries) > self._limit:
                entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._known) + len(self._unknown)
