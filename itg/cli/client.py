"""Client commands (SPEC 4, client side): send records from a file, and follow processes.

They talk HTTP to any server with the ITG2.0 contract through `itg.client.Client`, as the
service user of --url/--username/--password or ITG_URL/ITG_USERNAME/ITG_PASSWORD.
Exit status: 0 when every record succeeded, 1 when some record failed, 2 on a usage error, a
transport error or an HTTP error (one line on stderr). Rich progress bars are drawn live on a
terminal; into a file or a pipe, only their final state is printed and lines are not wrapped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from itg.cli.common import JsonOption, print_json
from itg.client import (
    Accepted,
    Checked,
    Client,
    ClientError,
    ItgHttpError,
    check_key_prefix,
    check_route,
    is_final,
    report_errors,
    report_progress,
)
from itg.client_files import NumberedRecords, read_numbered_records
from itg.errors import ConfigError, UsageError

Report = dict[str, Any]

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Server URL, e.g. http://127.0.0.1:8000 (default: $ITG_URL)."),
]
UsernameOption = Annotated[
    str | None, typer.Option("--username", help="Service user (default: $ITG_USERNAME).")
]
PasswordOption = Annotated[
    str | None,
    typer.Option(
        "--password",
        help="Its password (default: $ITG_PASSWORD, preferable: options show in `ps`).",
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option("--timeout", min=0, help="Stop waiting after SECONDS (exit status 2)."),
]
UNWRAPPED_WIDTH = 1000  # into a file or a pipe, table rows stay on one line each


def send_command(
    route: Annotated[
        str,
        typer.Argument(
            metavar="ROUTE",
            help="people, absences, paymentDate, anticipate, subsidiaries, costcenter or users.",
        ),
    ],
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A .json array, .jsonl/.ndjson lines, or .csv with a header row "
            "('|' separates array fields); '-' reads stdin.",
        ),
    ],
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the requests, then print the failed records.")
    ] = False,
    key_prefix: Annotated[
        str | None,
        typer.Option(
            "--key-prefix",
            metavar="P",
            help="Idempotency keys P-0, P-1, … (one per request, in file order): sending the "
            "same FILE again with the same P re-sends nothing already accepted.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Dry run: report which records would fail, storing nothing (SPEC 1.11).",
        ),
    ] = False,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Send the records of FILE to ROUTE in requests of at most 1000 records and 1 MiB.

    Prints one subunique per request, in order; --watch then follows them with progress bars.

    Every request carries an idempotency key, reused when it is retried; with --key-prefix the
    keys are P-<n>, so a send that was interrupted can be run again as it was: the requests
    already accepted get their first answer back (noted on stderr) instead of being stored twice.

    With --watch, the failed records are printed in a table once every request has finished.

    With --check, each request is dry-run instead (`?dry_run=true`): every record rule is run
    against the company's data as committed now, nothing is stored, and the records that would
    fail are printed in the --watch table (with their line in FILE for CSV and JSON Lines). A
    record sees the records before it in its request, not those of earlier requests, nor
    requests still queued on the server. --key-prefix is checked and ignored (a dry run needs
    no key); --watch cannot be combined with it (there is nothing to follow).

    Exit status 0: every request was accepted (with --watch: every record succeeded; with
    --check: every record would succeed).

    Exit status 1: with --watch, some record failed (with --check: would fail).

    Exit status 2: usage error (unknown route, malformed FILE), transport error, HTTP error.
    """
    check_route(route)
    if check:
        if watch:
            raise UsageError("--check stores nothing, so there is nothing to --watch")
        if key_prefix is not None:
            check_key_prefix(key_prefix)
        _check(route, read_numbered_records(file, route), url, username, password)
    records = read_numbered_records(file, route).records
    accepted: list[Accepted] = []

    def show(item: Accepted) -> None:
        accepted.append(item)
        typer.echo(item.subunique)
        if item.replayed:
            typer.echo(f"{item.subunique}: already accepted, not stored again", err=True)

    with _client_errors(), Client(url, username, password) as client:
        try:
            client.send(route, records, on_accepted=show, key_prefix=key_prefix)
        except ClientError as exc:
            if not accepted:
                raise
            sent = accepted[-1].first_index + accepted[-1].count
            raise ClientError(
                f"{exc}; the first {sent} of {len(records)} records were accepted "
                f"(their subuniques are printed above)"
            ) from None
        if not watch:
            return
        subuniques = [item.subunique for item in accepted]
        raise typer.Exit(_follow(client, subuniques, timeout))


def status_command(
    subunique: Annotated[
        str, typer.Argument(metavar="SUBUNIQUE", help="The subunique of a request.")
    ],
    json: JsonOption = False,
    url: UrlOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Print a process of the Integration Process Monitor and its failed records.

    --json prints the server's report as it came instead of the summary.

    Exit status 0: the process was found and none of its records failed (it may still run).

    Exit status 1: some record failed.

    Exit status 2: usage error, transport error or HTTP error (e.g. "Process not found").
    """
    with _client_errors(), Client(url, username, password) as client:
        report = client.process(subunique)
    if json:
        print_json(report)
    else:
        _print_summary(_console(), subunique, report)
    raise typer.Exit(1 if _failed(report) else 0)


def watch_command(
    subuniques: Annotated[
        list[str], typer.Argument(metavar="SUBUNIQUE...", help="Subuniques of requests.")
    ],
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Follow processes with progress bars until they finish, then print the failed records.

    Exit status 0: every record succeeded.

    Exit status 1: some record failed.

    Exit status 2: usage error, transport error, HTTP error, or --timeout passed first.
    """
    with _client_errors(), Client(url, username, password) as client:
        raise typer.Exit(_follow(client, list(dict.fromkeys(subuniques)), timeout))


def cancel_command(
    subuniques: Annotated[
        list[str], typer.Argument(metavar="SUBUNIQUE...", help="Subuniques of requests.")
    ],
    url: UrlOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
) -> None:
    """Cancel processes (SPEC 1.9): a queued one at once, a processing one at its next chunk.

    Prints one line per process: its status after the cancel (`canceled`, or `processing`
    while the worker finishes its chunk), or why it was refused (e.g. "Process already
    finished").

    Exit status 0: every cancel was accepted.

    Exit status 1: some cancel was refused (not found, already finished).

    Exit status 2: usage error, transport error.
    """
    refused = 0
    with _client_errors(), Client(url, username, password) as client:
        for subunique in dict.fromkeys(subuniques):
            try:
                report = client.cancel(subunique)
            except ItgHttpError as exc:
                if exc.status not in (404, 409):
                    raise
                typer.echo(f"{subunique}: {exc}", err=True)
                refused += 1
                continue
            typer.echo(f"{subunique}: {report.get('status')}")
    raise typer.Exit(1 if refused else 0)


def _check(
    route: str,
    numbered: NumberedRecords,
    url: str | None,
    username: str | None,
    password: str | None,
) -> NoReturn:
    """`send --check`: dry-run every request of the file, print what would fail, exit."""
    with _client_errors(), Client(url, username, password) as client:
        checked = client.dry_run_requests(route, numbered.records)
    console = _console()
    failed = [
        (str(number), error, _line(numbered, item, error))
        for number, item in enumerate(checked, start=1)
        for error in report_errors(item.report)
    ]
    console.print(Text(_check_summary(checked, len(failed))))
    if failed:
        lines = None if numbered.lines is None else [line for _, _, line in failed]
        table = _error_table([(request, error) for request, error, _ in failed], "request", lines)
        console.print(table)
    raise typer.Exit(1 if failed else 0)


def _line(numbered: NumberedRecords, item: Checked, error: Report) -> int | None:
    """The file line of a failed record of a dry-run request, None when unknown."""
    index = error.get("index")
    return numbered.line(item.first_index + index) if isinstance(index, int) else None


def _check_summary(checked: Sequence[Checked], failed: int) -> str:
    total = sum(item.count for item in checked)
    return (
        f"dry run, nothing stored: {_plural(len(checked), 'request')}, "
        f"{_plural(total, 'record')}: {total - failed} would succeed, {failed} would fail"
    )


@contextmanager
def _client_errors() -> Iterator[None]:
    """For the client commands, transport, HTTP and configuration errors share exit status 2
    with usage errors (SPEC 4): they become UsageError, which `itg.cli.main` reports."""
    try:
        yield
    except (ClientError, ConfigError) as exc:
        raise UsageError(str(exc)) from None


def _follow(client: Client, subuniques: Sequence[str], timeout: float | None) -> int:
    """Progress bars (one per request, one overall) until all are final; the exit status."""
    console = _console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("{task.fields[status]}"), console=console) as progress:
        tasks = {s: progress.add_task(f"{s} {'':12}", total=None, status="") for s in subuniques}
        overall = progress.add_task(f"{'all':<21}", total=None, status="")
        latest: dict[str, Report] = {}

        def update(subunique: str, report: Report) -> None:
            latest[subunique] = report
            done, total = report_progress(report)
            route = str(report.get("route") or "")
            status = str(report.get("status") or "")
            description = f"{subunique} {route:<12}"
            progress.update(
                tasks[subunique],
                description=description,
                completed=done,
                total=total,
                status=status,
            )
            totals = [report_progress(r) for r in latest.values()]
            known = len(latest) == len(tasks) and all(t is not None for _, t in totals)
            finished = sum(is_final(r) for r in latest.values())
            progress.update(
                overall,
                completed=sum(d for d, _ in totals),
                total=sum(t or 0 for _, t in totals) if known else None,
                status=f"{finished}/{len(tasks)} finished",
            )

        reports = client.wait_all(subuniques, timeout=timeout, on_progress=update)
    return _print_outcome(console, subuniques, reports)


def _print_outcome(console: Console, subuniques: Sequence[str], reports: list[Report]) -> int:
    failed = [(s, e) for s, r in zip(subuniques, reports, strict=True) for e in report_errors(r)]
    total = sum(report_progress(report)[1] or 0 for report in reports)
    console.print(
        Text(
            f"{_plural(len(reports), 'request')}, {_plural(total, 'record')}: "
            f"{total - len(failed)} succeeded, {len(failed)} failed"
        )
    )
    if failed:
        console.print(_error_table(failed))
    return 1 if failed or any(r.get("status") != "done" for r in reports) else 0


def _print_summary(console: Console, subunique: str, report: Report) -> None:
    done, total = report_progress(report)
    pairs = {
        "subunique": report.get("subunique") or subunique,
        "unique": report.get("unique"),
        "company": report.get("company"),
        "route": report.get("route"),
        "status": report.get("status"),
        "progress": f"{done}/{'?' if total is None else total}",
        "created_at": report.get("created_at"),
        "finished_at": report.get("finished_at"),
        "failed records": len(report_errors(report)),
    }
    for key, value in pairs.items():
        console.print(Text(f"{key}: {'-' if value is None else value}"))
    errors = report_errors(report)
    if errors:
        console.print(_error_table([(str(pairs["subunique"]), error) for error in errors]))


def _error_table(
    failed: list[tuple[str, Report]],
    first: str = "subunique",
    lines: Sequence[int | None] | None = None,
) -> Table:
    """The failed records: the request they came in (`first`: its subunique, or its number
    for a dry run), their index in it, their line in the file when known (`lines`, one per
    row), identifier and messages."""
    table = Table(title="Failed records", title_justify="left")
    table.add_column(first)
    table.add_column("index", justify="right")
    if lines is not None:
        table.add_column("line", justify="right")
    table.add_column("identifier")
    table.add_column("messages")
    for row, (request, error) in enumerate(failed):
        messages = error.get("message", error.get("mensage", ""))  # the public docs' misspelling
        text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        cells = [request, str(error.get("index", ""))]
        if lines is not None:
            cells.append("" if lines[row] is None else str(lines[row]))
        cells += [str(error.get("identifier", "")), text]
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _failed(report: Report) -> bool:
    return bool(report_errors(report)) or report.get("status") in ("warning", "error")


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = UNWRAPPED_WIDTH
    return console


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
