"""What every server-side command shares: the --database option and plain output.

Storage (SQLAlchemy, Alembic) is imported only by the commands that open a database, so that
`itg --help` and the client commands start quickly (issue 10, "CLI start-up").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from itg.settings import Settings

if TYPE_CHECKING:
    from itg.storage.database import Database

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: ITG_DATABASE_URL or sqlite:///itg.db)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CompanyOption = Annotated[str, typer.Option("--company", help="Company code, e.g. a000001.")]


def settings_for(database: str | None, **overrides: Any) -> Settings:
    return Settings.from_env(database_url=database, **overrides)


def database_for(database: str | None) -> Database:
    """Open the configured database with its schema current (every command may be the first)."""
    from itg.storage.database import open_database
    from itg.storage.migrate import upgrade_schema

    db = open_database(settings_for(database))
    upgrade_schema(db)
    return db


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


def print_lines(pairs: dict[str, Any]) -> None:
    for key, value in pairs.items():
        sys.stdout.write(f"{key}: {value}\n")
