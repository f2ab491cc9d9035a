"""Entry point: assembles the command tree and turns errors into one line and an exit status.

Exit status 2 for a usage error (unknown option, unknown route name, malformed competence),
1 for any other failure; never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, Protocol, TypeGuard

import typer

from itg.cli import admin, server, webhooks
from itg.cli import client as client_commands
from itg.errors import ItgError, UsageError

if TYPE_CHECKING:
    from itg.worker import WorkerHooks

app = typer.Typer(
    name="itg",
    help="itg — a self-hosted PontoWeb ITG2.0 integration API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(server.init_command)
app.command("serve")(server.serve_command)
app.command("worker")(server.worker_command)
app.command("purge")(admin.purge_command)
app.command("backup")(admin.backup_command)
app.add_typer(admin.company_app, name="company")
app.add_typer(admin.user_app, name="user")
app.add_typer(admin.catalog_app, name="catalog")
app.add_typer(admin.period_app, name="period")
app.add_typer(webhooks.webhook_app, name="webhook")
app.command("send")(client_commands.send_command)
app.command("status")(client_commands.status_command)
app.command("watch")(client_commands.watch_command)
app.command("cancel")(client_commands.cancel_command)


def main(argv: Sequence[str] | None = None, *, worker_hooks: WorkerHooks | None = None) -> None:
    """Run one command. `worker_hooks` reach the workers of `serve` and `worker` as the click
    context object: the seam where tests/crash/faulty_itg.py plugs in its faults, so that no
    setting or environment variable of production code exists for them. None means no hooks
    (`serve` and `worker` then use `itg.worker.NO_HOOKS`; importing it here would load the
    storage stack for every command)."""
    command = typer.main.get_command(app)
    try:
        status = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="itg",
            standalone_mode=False,
            obj=worker_hooks,
        )
    except UsageError as exc:
        _fail(str(exc), 2)
    except ItgError as exc:
        _fail(str(exc), 1)
    except Exception as exc:  # the promise is one clear line, never a traceback
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is shown; its message is empty
            _fail("missing command", 2)
        if _is_click_error(exc):  # usage errors carry exit code 2
            _fail(exc.format_message(), exc.exit_code)
        if type(exc).__name__ == "Abort":  # Ctrl-C at a prompt
            _fail("aborted", 1)
        _fail(f"{type(exc).__name__}: {_first_line(str(exc))}", 1)
    sys.exit(status if isinstance(status, int) else 0)


class _ClickError(Protocol):
    exit_code: int

    def format_message(self) -> str: ...


def _is_click_error(exc: Exception) -> TypeGuard[_ClickError]:
    """Click's errors, whether from click itself or the copy newer typer versions vendor."""
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


def _first_line(text: str) -> str:
    """One line of an unexpected error (SQLAlchemy appends "(Background on this error at: …)")."""
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _fail(message: str, status: int) -> NoReturn:
    sys.stderr.write(f"itg: error: {message}\n")
    sys.exit(status)
