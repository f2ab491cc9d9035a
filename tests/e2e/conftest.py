"""Fixtures of the e2e tests (tests/processes.py, tests/engines.py): `server`/`serve`, a real
`itg serve` after `itg init` on a SQLite file of the test; and `itg`, an installation on
SQLite or PostgreSQL whose processes the test starts.
"""

from __future__ import annotations

from tests import engines, processes

itg_env = processes.itg_env
credentials = processes.credentials
serve = processes.serve
server = processes.server

engine = engines.engine
database_url = engines.database_url
itg = processes.itg
