"""The CLI imports nothing a command does not use (issue 10, "CLI start-up").

`itg --help`, `itg send`, `itg status` and `itg watch` load only `itg.cli.main` and what it
imports: the storage, server and migration stacks belong inside the commands that need them.
A structural check in a fresh interpreter, not a timing, so it cannot flake under load.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "psycopg")
# Loaded only by the commands that name a route.
ON_DEMAND = ("itg.services", "itg.permissions")

PROBE = (
    "import itg.cli.main, sys; "
    f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}"
    f" or m.startswith({ON_DEMAND!r})))"
)


def test_importing_the_cli_loads_no_storage_or_server_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
