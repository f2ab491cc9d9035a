"""Back-office commands: companies, service users, catalogs, locked periods, purge, backup.

Storage is imported inside each command, so that `itg --help` and the client commands, which
load this module to build the command tree, never import SQLAlchemy (issue 10, "CLI start-up").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from itg.cli.common import (
    CompanyOption,
    DatabaseOption,
    JsonOption,
    database_for,
    print_json,
    print_lines,
    settings_for,
)
from itg.domain.catalog import CatalogKind
from itg.domain.dates import parse_competence
from itg.errors import UsageError
from itg.timeutil import iso, utcnow

if TYPE_CHECKING:
    from itg.storage.tenants import ServiceUser

company_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Service users (HTTP Basic credentials).", no_args_is_help=True)
catalog_app = typer.Typer(
    help="Reasons, schedules and profiles of a company.", no_args_is_help=True
)
period_app = typer.Typer(help="Locked competences (AAAA-MM).", no_args_is_help=True)


@company_app.command("create")
def company_create(
    code: str,
    name: Annotated[str, typer.Option("--name", help="Company name.")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Create a company (it starts with the default profiles)."""
    from itg.storage import tenants

    company = tenants.create_company(database_for(database), code, name)
    if json:
        print_json({"code": company.code, "name": company.name})
    else:
        print_lines({"company": company.code, "name": company.name})


@company_app.command("list")
def company_list(database: DatabaseOption = None, json: JsonOption = False) -> None:
    """List companies."""
    from itg.storage import tenants

    rows = tenants.list_companies(database_for(database))
    if json:
        print_json([{"code": c.code, "name": c.name, "enabled": c.enabled} for c in rows])
        return
    for c in rows:
        typer.echo(f"{c.code}\t{'enabled' if c.enabled else 'disabled'}\t{c.name}")


@company_app.command("disable")
def company_disable(code: str, database: DatabaseOption = None) -> None:
    """Disable a company: its users get 403 within seconds."""
    from itg.storage import tenants

    tenants.disable_company(database_for(database), code)
    typer.echo(f"company {code} disabled")


def _show_user(user: ServiceUser, password: str | None, json: bool) -> None:
    if json:
        body: dict[str, object] = {"username": user.username}
        if password is not None:
            body["password"] = password
        body.update(company=user.company, routes=list(user.routes))
        print_json(body)
    else:
        lines = {"company": user.company, "username": user.username}
        if password is not None:
            lines["password"] = password
        lines["routes"] = ",".join(user.routes)
        print_lines(lines)


@user_app.command("create")
def user_create(
    username: str,
    company: CompanyOption,
    routes: Annotated[str, typer.Option("--routes", help="all, or e.g. people,process")] = "all",
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Create a service user; its generated password is printed once."""
    from itg.permissions import parse_routes  # the route registry: not for other commands
    from itg.storage import tenants

    allowed = parse_routes(routes)
    user, password = tenants.create_service_user(database_for(database), username, company, allowed)
    _show_user(user, password, json)


@user_app.command("reset-password")
def user_reset_password(
    username: str, database: DatabaseOption = None, json: JsonOption = False
) -> None:
    """Generate a new password (printed once); the old one stops working within seconds."""
    from itg.storage import tenants

    user, password = tenants.reset_password(database_for(database), username)
    _show_user(user, password, json)


@user_app.command("disable")
def user_disable(username: str, database: DatabaseOption = None) -> None:
    """Disable a service user: it gets 401 within seconds."""
    from itg.storage import tenants

    tenants.disable_user(database_for(database), username)
    typer.echo(f"user {username} disabled")


@user_app.command("list")
def user_list(
    company: CompanyOption, database: DatabaseOption = None, json: JsonOption = False
) -> None:
    """List the service users of a company."""
    from itg.storage import tenants

    users = tenants.list_users(database_for(database), company)
    if json:
        print_json(
            [
                {
                    "username": u.username,
                    "company": u.company,
                    "routes": list(u.routes),
                    "enabled": u.enabled,
                }
                for u in users
            ]
        )
        return
    for u in users:
        state = "enabled" if u.enabled else "disabled"
        typer.echo(f"{u.username}\t{state}\t{','.join(u.routes)}")


@catalog_app.command("add")
def catalog_add(
    kind: CatalogKind,
    company: CompanyOption,
    key: str,
    description: Annotated[str | None, typer.Argument()] = None,
    database: DatabaseOption = None,
) -> None:
    """Add a reason (code, description), schedule (code, name) or profile (name)."""
    from itg.storage import catalogs

    entry = catalogs.add_entry(database_for(database), kind, company, key, description)
    typer.echo(f"{kind} {entry.key} added")


@catalog_app.command("list")
def catalog_list(
    kind: CatalogKind,
    company: CompanyOption,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """List a company's reasons, schedules or profiles."""
    from itg.storage import catalogs

    entries = catalogs.list_entries(database_for(database), kind, company)
    if json:
        print_json([{"key": e.key, "description": e.description} for e in entries])
        return
    for e in entries:
        typer.echo(e.key if e.key == e.description else f"{e.key}\t{e.description}")


def _competence(text: str) -> str:
    if parse_competence(text.strip()) is None:
        raise UsageError(f"competence must be AAAA-MM, got {text!r}")
    return text.strip()


@period_app.command("lock")
def period_lock(company: CompanyOption, competence: str, database: DatabaseOption = None) -> None:
    """Lock a competence: absences touching it are refused unless ignora_bloqueio."""
    from itg.storage import catalogs

    competence = _competence(competence)
    catalogs.lock_period(database_for(database), company, competence)
    typer.echo(f"{competence} locked")


@period_app.command("unlock")
def period_unlock(company: CompanyOption, competence: str, database: DatabaseOption = None) -> None:
    """Unlock a competence."""
    from itg.storage import catalogs

    competence = _competence(competence)
    catalogs.unlock_period(database_for(database), company, competence)
    typer.echo(f"{competence} unlocked")


def purge_command(database: DatabaseOption = None, json: JsonOption = False) -> None:
    """Apply the retention policy now (ITG_VALIDITY_SECONDS + ITG_RETENTION_DAYS)."""
    from itg.processes.visibility import cutoffs
    from itg.storage.purge import purge

    settings = settings_for(database)
    now = utcnow()
    removed = purge(database_for(database), cutoffs(settings, now).gone_by)
    if json:
        print_json({"purged": removed, "at": iso(now)})
    else:
        typer.echo(f"purged {removed} processes")


def backup_command(
    path: Annotated[Path, typer.Argument(help="The new file to write (must not exist).")],
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Copy the live SQLite database into PATH, checked (SQLite only; PostgreSQL: pg_dump)."""
    from itg.storage.backup import backup_database

    made = backup_database(settings_for(database).database_url, path)
    pairs = {"path": str(made.path), "bytes": made.size}
    print_json(pairs) if json else print_lines(pairs)
