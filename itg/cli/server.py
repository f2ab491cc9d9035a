"""Server commands: init, serve, worker.

`itg serve` assembles the process: the database, this process's metrics, the embedded
WorkerPool and the HTTP app (which builds HTTP only and is handed what it shares with the
workers). Both serve and worker take their worker hooks from the context object `main` was
given: none in production (see `itg.cli.main.main`).

The storage, worker and metrics modules are imported inside the commands: `itg --help` and the
client commands load this module too, and need none of them (issue 10, "CLI start-up").
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from itg.cli.common import (
    DatabaseOption,
    JsonOption,
    database_for,
    print_json,
    print_lines,
    settings_for,
)

if TYPE_CHECKING:
    from itg.api.hooks import IntakeHooks
    from itg.settings import Settings
    from itg.worker import WorkerHooks

DEFAULT_COMPANY = "a000001"
FIRST_USERNAME = "integrador"


def init_command(
    company: Annotated[
        str, typer.Option("--company", help="Code of the first company.")
    ] = DEFAULT_COMPANY,
    name: Annotated[str, typer.Option("--name", help="Name of the first company.")] = "Company",
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """Create or upgrade the schema; on an empty database, create a company and its first user."""
    from itg.permissions import all_routes
    from itg.storage import tenants

    created = tenants.bootstrap(database_for(database), company, name, FIRST_USERNAME, all_routes())
    if created is None:
        if json:
            print_json({"company": None, "username": None, "password": None})
        else:
            typer.echo("database is up to date; it already has a company, so nothing was created")
        return
    first_company, user, password = created
    pairs = {"company": first_company.code, "username": user.username, "password": password}
    print_json(pairs) if json else print_lines(pairs)


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=0, help="Embedded worker threads (0: API only).")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every HTTP request.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Serve the API, with embedded workers applying the records."""
    import uvicorn

    from itg.api.app import create_app
    from itg.api.connections import KEEP_ALIVE_SECONDS, guarded_protocol
    from itg.api.readiness import Readiness
    from itg.cli.draining import DrainingServer
    from itg.delivery import deliveries
    from itg.metrics import process_metrics
    from itg.services.registry import SERVICES
    from itg.storage.database import open_database
    from itg.storage.migrate import upgrade_schema
    from itg.worker import WorkerPool

    settings = settings_for(database)
    _configure_logging(settings)
    db = open_database(settings)
    upgrade_schema(db)
    # The API and the embedded workers share this process's counters (GET /metrics, SPEC 1.7:
    # every itg process of the host, through the metrics directory) and the pool's wake-up
    # event, which the API sets after each accepted request.
    metrics = process_metrics(settings, SERVICES)
    pool = WorkerPool(db, settings, workers, metrics, hooks=_worker_hooks(ctx))
    readiness = Readiness()  # /readyz; drained on SIGTERM by DrainingServer
    app = create_app(
        settings,
        db,
        metrics=metrics,
        wakeup=pool.wakeup,
        intake_hooks=_intake_hooks(ctx),
        readiness=readiness,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        # Read deadlines and the connection cap of SPEC 6 (uvicorn has neither).
        http=guarded_protocol(settings.read_timeout_seconds, settings.max_connections),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=5,
        log_level="info",
        log_config=None,  # uvicorn's loggers go through itg's handler (itg/logs.py)
    )
    server = DrainingServer(config, readiness, settings.drain_seconds)

    def on_signal(_signum: int, _frame: object) -> None:
        # uvicorn handles SIGTERM/SIGINT while it serves, then raises the signal again under
        # the handler it found: with the default one, a clean stop would die by SIGTERM.
        server.should_exit = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        # The workers run while the API serves; on SIGTERM, after the drain, uvicorn stops
        # listening and lets the open requests finish, then each worker finishes its chunk and
        # releases its claim.
        with pool, deliveries(db, settings, metrics, enabled=workers > 0):  # SPEC 1.12
            server.run()
    finally:
        metrics.close()
        db.dispose()


def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(min=1, help="Worker threads in this process.")] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Serve GET /metrics (every itg process of the host) here."
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address of --metrics-port.")] = "127.0.0.1",
    database: DatabaseOption = None,
) -> None:
    """Run workers only (scale-out: many of these may share one PostgreSQL)."""
    from itg.delivery import deliveries
    from itg.metrics import process_metrics
    from itg.services.registry import SERVICES
    from itg.storage.metrics import queue_depth
    from itg.worker import WorkerPool

    settings = settings_for(database)
    _configure_logging(settings)
    db = database_for(database)
    metrics = process_metrics(settings, SERVICES)  # before anything imports prometheus_client
    pool = WorkerPool(db, settings, concurrency, metrics, hooks=_worker_hooks(ctx))
    exposed = (
        None
        if metrics_port is None
        else metrics.serve(metrics_host, metrics_port, lambda: queue_depth(db))
    )
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("itg.worker").info("signal %s: finishing the current chunk", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with pool, deliveries(db, settings, metrics):  # SPEC 1.12: webhooks beside the workers
        logging.getLogger("itg.worker").info("%s worker(s) started", concurrency)
        while not stopping.wait(1.0):
            pass
    if exposed is not None:
        exposed.close()
    metrics.close()
    db.dispose()


def _intake_hooks(ctx: typer.Context) -> IntakeHooks:
    """The write routes' hooks, when the context object `main` was given has them (the crash
    tests' fault hooks do); production none."""
    from itg.api.hooks import NO_INTAKE_HOOKS, IntakeHooks

    hooks = ctx.find_object(IntakeHooks)
    return NO_INTAKE_HOOKS if hooks is None else hooks


def _worker_hooks(ctx: typer.Context) -> WorkerHooks:
    """The hooks `main` was given as the context object; tests/crash/faulty_itg.py passes
    fault hooks, production none."""
    from itg.worker import NO_HOOKS, WorkerHooks

    hooks = ctx.find_object(WorkerHooks)
    return NO_HOOKS if hooks is None else hooks


def _configure_logging(settings: Settings) -> None:
    from itg.logs import configure

    configure(settings.log_format)
