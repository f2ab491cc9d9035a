"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright for
Python through `executable_path`; Playwright's own browser downloads are never used), against
real `itg` processes started by the fixtures of tests/processes.py.

A missing browser skips these tests, or fails them when ITG_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import processes
from tests.faults import FaultHooks
from tests.processes import (
    CONSOLE_SCRIPT,
    Credentials,
    Server,
    WorkerProcess,
    environment,
    launch,
    run_itg,
    spawn,
    start_server,
)

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHUNK_SIZE = 10  # small chunks: a 1000-record request advances in a hundred visible steps


# The real-process fixtures of tests/processes.py; `credentials` and `serve` take the
# `itg_env` defined below.
credentials = processes.credentials
serve = processes.serve
server = processes.server


@pytest.fixture
def itg_env(tmp_path: Path) -> dict[str, str]:
    """As in tests/e2e, plus small chunks and a quick worker poll."""
    return environment(f"sqlite:///{tmp_path / 'itg.db'}", chunk_size=CHUNK_SIZE, poll_seconds=0.1)


@pytest.fixture
def add_user(tmp_path: Path, itg_env: dict[str, str]) -> Callable[[str, str, str], Credentials]:
    """`add_user(company, username, routes)`: a service user made with the CLI."""

    def add(company: str, username: str, routes: str) -> Credentials:
        args = ["user", "create", username, "--company", company, "--routes", routes, "--json"]
        return Credentials.of(run_itg(*args, cwd=tmp_path, env=itg_env))

    return add


@pytest.fixture
def add_company(
    tmp_path: Path, itg_env: dict[str, str], add_user: Callable[[str, str, str], Credentials]
) -> Callable[[str], Credentials]:
    """`add_company(code)`: a company with an all-routes service user, made with the CLI."""

    def add(code: str) -> Credentials:
        run_itg("company", "create", code, "--name", f"Company {code}", cwd=tmp_path, env=itg_env)
        return add_user(code, f"user-{code}", "all")

    return add


@pytest.fixture
def api_server(
    tmp_path: Path, itg_env: dict[str, str], credentials: Credentials
) -> Iterator[Server]:
    """`itg serve --workers 0`: requests stay queued until `start_worker()` is called."""
    started = start_server(
        CONSOLE_SCRIPT,
        "--workers",
        "0",
        cwd=tmp_path,
        env=itg_env,
        log_path=tmp_path / "serve-api.log",
        credentials=credentials,
    )
    try:
        yield started
        started.stop_cleanly()
    finally:
        started.end()


@pytest.fixture
def start_worker(tmp_path: Path, itg_env: dict[str, str]) -> Iterator[Callable[..., None]]:
    """`start_worker(faults=None)`: an `itg worker` process on the test's database (with
    `faults`, e.g. slow chunks, through tests/crash/faulty_itg.py), stopped (SIGTERM, exit
    status 0) at the end of the test."""
    workers: list[WorkerProcess] = []

    def start(faults: FaultHooks | None = None) -> None:
        log_path = tmp_path / f"worker-{len(workers)}.log"
        launcher, env = launch(itg_env, faults, plain=CONSOLE_SCRIPT)
        process = spawn([*launcher, "worker"], cwd=tmp_path, env=env, log_path=log_path)
        workers.append(WorkerProcess(process, log_path, "itg worker"))

    yield start
    for worker in workers:
        try:
            status, _ = worker.stop()
            assert status == 0, worker.log
        finally:
            worker.end()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found:
        return found
    message = "Chromium is not installed (Debian: apt-get install chromium)"
    if os.environ.get("ITG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}, and ITG_REQUIRE_BROWSER=1 requires it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=BROWSER_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):  # type: ignore[no-untyped-def]
    """`open_page(server, credentials=None, javascript=True)`: a page of a fresh browser
    context that answers Basic challenges with `credentials` (none: it cannot log in)."""
    contexts = []

    def open_(  # type: ignore[no-untyped-def]
        on: Server, credentials: Credentials | None = None, javascript: bool = True
    ):
        http_credentials = (
            None
            if credentials is None
            else {"username": credentials.username, "password": credentials.password}
        )
        context = browser.new_context(
            base_url=on.base_url,
            http_credentials=http_credentials,
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 800},
        )
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()
