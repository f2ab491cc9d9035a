"""Completion webhook commands (SPEC 1.12): add, list, remove, deliveries.

Storage is imported inside each command, as in itg/cli/admin.py: `itg --help` and the client
commands load this module too and need no SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from itg.cli.common import CompanyOption, DatabaseOption, JsonOption, database_for, print_json
from itg.errors import UsageError
from itg.timeutil import iso

if TYPE_CHECKING:
    from itg.storage.webhooks import EventState

webhook_app = typer.Typer(help="Completion webhooks of a company.", no_args_is_help=True)


def checked_url(url: str) -> str:
    """An http:// or https:// URL with a host (a usage error otherwise)."""
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid port or IPv6 literal
        usable = False
    if not usable:
        raise UsageError(f"webhook URL must be http:// or https:// with a host, got {url!r}")
    return url


@webhook_app.command("add")
def webhook_add(
    url: str,
    company: CompanyOption,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Register an endpoint; its signing secret is printed once."""
    from itg.domain.webhook_signature import new_secret
    from itg.storage import webhooks

    checked_url(url)
    secret = new_secret()
    endpoint = webhooks.add_endpoint(database_for(database), company, url, secret)
    if json:
        print_json({"id": endpoint.id, "company": company, "url": url, "secret": secret})
    else:
        typer.echo(f"id: {endpoint.id}\nurl: {url}\nsecret: {secret}")


@webhook_app.command("list")
def webhook_list(
    company: CompanyOption, database: DatabaseOption = None, json: JsonOption = False
) -> None:
    """List a company's endpoints (never their secrets)."""
    from itg.storage import webhooks

    endpoints = webhooks.list_endpoints(database_for(database), company)
    if json:
        print_json([{"id": e.id, "url": e.url, "created_at": iso(e.created_at)} for e in endpoints])
        return
    for e in endpoints:
        typer.echo(f"{e.id}\t{e.url}\t{iso(e.created_at)}")


@webhook_app.command("remove")
def webhook_remove(
    endpoint_id: Annotated[int, typer.Argument(metavar="ID")], database: DatabaseOption = None
) -> None:
    """Remove an endpoint and its events."""
    from itg.storage import webhooks

    webhooks.remove_endpoint(database_for(database), endpoint_id)
    typer.echo(f"removed {endpoint_id}")


@webhook_app.command("deliveries")
def webhook_deliveries(
    company: CompanyOption,
    failed: Annotated[bool, typer.Option("--failed", help="Only the failed events.")] = False,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """A company's events, oldest first: status, attempts, the last HTTP status or error."""
    from itg.storage import webhooks

    events = webhooks.list_deliveries(database_for(database), company, failed_only=failed)
    if json:
        print_json([_event_json(event) for event in events])
        return
    for event in events:
        typer.echo(
            f"{event.event_id}\t{event.endpoint_id}\t{event.subunique}\t{event.status}"
            f"\t{len(event.attempts)}\t{last_result(event)}"
        )


def last_result(event: EventState) -> str:
    """The last attempt's HTTP status, or its error; `-` before any attempt."""
    if not event.attempts:
        return "-"
    last = event.attempts[-1]
    return str(last.status_code) if last.status_code is not None else (last.error or "-")


def _event_json(event: EventState) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "endpoint_id": event.endpoint_id,
        "url": event.url,
        "subunique": event.subunique,
        "status": event.status,
        "next_attempt_at": iso(event.next_attempt_at),
        "attempts": [
            {
                "attempt": a.attempt,
                "at": iso(a.at),
                "status_code": a.status_code,
                "error": a.error,
            }
            for a in event.attempts
        ],
    }
