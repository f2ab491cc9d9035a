"""Fixtures of the crash and race tests: a database of the test's own on each engine (a SQLite
file, or a PostgreSQL database created on the session's cluster and dropped after the test;
tests/engines.py), and `itg`, the installation whose real processes the test starts
(tests/processes.py); whatever still runs at the end of the test is killed.
"""

from __future__ import annotations

from tests import engines, processes

engine = engines.engine
database_url = engines.database_url
itg = processes.itg
