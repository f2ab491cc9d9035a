"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright for
Python through `executable_path`; Playwright's own browser downloads are never used), against
real `itg` processes started by the fixtures of tests/e2e/conftest.py.

A missing browser skips these tests, or fails them when ITG_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

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


def _load_e2e_fixtures() -> ModuleType:
    """tests/e2e/conftest.py as a module of its own (tests/ is not a package), so its
    fixtures and helpers serve these tests too."""
    path = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
    spec = importlib.util.spec_from_file_location("itg_tests_e2e_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


e2e = _load_e2e_fixtures()
Credentials = e2e.Credentials
Server = e2e.Server
ITG = e2e.ITG
# Fixtures reused as they are; `credentials` and `serve` take the `itg_env` defined below.
credentials = e2e.credentials
serve = e2e.serve
server = e2e.server


@pytest.fixture
def itg_env(tmp_path: Path) -> dict[str, str]:
    """As in tests/e2e, plus small chunks and a quick worker poll."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ITG_")}
    env["ITG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'itg.db'}"
    env["ITG_CHUNK_SIZE"] = str(CHUNK_SIZE)
    env["ITG_POLL_SECONDS"] = "0.1"
    return env


def run_itg(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(ITG), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    return done.stdout


@pytest.fixture
def add_user(tmp_path: Path, itg_env: dict[str, str]) -> Callable[[str, str, str], Credentials]:
    """`add_user(company, username, routes)`: a service user made with the CLI."""

    def add(company: str, username: str, routes: str) -> Credentials:
        out = run_itg(
            itg_env, tmp_path, "user", "create", username, "--company", company,
            "--routes", routes, "--json",
        )  # fmt: skip
        body = json.loads(out)
        return Credentials(body["company"], body["username"], body["password"])

    return add


@pytest.fixture
def add_company(
    tmp_path: Path, itg_env: dict[str, str], add_user: Callable[[str, str, str], Credentials]
) -> Callable[[str], Credentials]:
    """`add_company(code)`: a company with an all-routes service user, made with the CLI."""

    def add(code: str) -> Credentials:
        run_itg(itg_env, tmp_path, "company", "create", code, "--name", f"Company {code}")
        return add_user(code, f"user-{code}", "all")

    return add


@pytest.fixture
def api_server(
    tmp_path: Path, itg_env: dict[str, str], credentials: Credentials
) -> Iterator[Server]:
    """`itg serve --workers 0`: requests stay queued until `start_worker()` is called."""
    port = e2e.free_port()
    log_path = tmp_path / "serve-api.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ITG), "serve", "--port", str(port), "--workers", "0"],
            cwd=tmp_path,
            env=itg_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = Server(process, f"http://127.0.0.1:{port}", log_path, credentials)
    try:
        e2e.wait_until_healthy(started)
        yield started
        started.stop_cleanly()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=e2e.EXIT_SECONDS)


@pytest.fixture
def start_worker(tmp_path: Path, itg_env: dict[str, str]) -> Iterator[Callable[[], None]]:
    """`start_worker()`: an `itg worker` process on the test's database, stopped (SIGTERM,
    exit status 0) at the end of the test."""
    workers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        log = (tmp_path / f"worker-{len(workers)}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [str(ITG), "worker"], cwd=tmp_path, env=itg_env, stdout=log, stderr=log
            )
        )
        log.close()

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            assert worker.wait(timeout=e2e.EXIT_SECONDS) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=e2e.EXIT_SECONDS)


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
