"""Figure `monitor`: GET /process with 64 connections (SPEC 6.1), cached and not.

itg runs as `itg serve --workers 0` (every setting its default); the queue is applied by an
in-process Worker beforehand, so during the runs the server is the API alone. Each run is
compared with bench/baseline_monitor.py answering, as a constant, the very bytes itg answered
in that run (a constant JSON of the same size, SPEC 6.1). Three runs:

- cached: company A's one finished 1000-record people request (~10 % failed records:
  invalid CPF, repeated e-mail), read 30,000 times. After the first read the server answers
  from its finished-report cache (itg/processes/report.py `FinishedReports`), so this is the
  cache's figure, labelled so.
- spread: reads go round robin over company B's finished requests, each answering a body
  about the size of A's (50 failed records with four messages each). There are more of them
  than the cache holds (their bodies add up to SPREAD_FACTOR x the cache's byte budget, read
  from `FinishedReports` itself), so in round-robin order every read misses the
  least-recently-used cache and goes to storage.
- unique: `?unique=` of A's window (A's one request): never cached (SPEC 1.6 streams it).

SPEC 6.1's monitor row (its figure is `?subunique=`, cached or not) judges the first two;
`?unique=` is ours and printed for information. No rate is reported unless every answer was
200 and every process read is final with its expected errors.
"""

from __future__ import annotations

import inspect
import json
import math
import subprocess
from typing import Any

import httpx
import orjson

from bench.common import (
    PYTHON,
    REPO_ROOT,
    Figure,
    banner,
    basic_headers,
    bench_env,
    drain_queue,
    figure,
    init_itg,
    list_processes,
    people_body,
    person,
    scratch_dir,
    serve_itg,
    serve_module,
    show,
)
from bench.load import Run, describe, failed, hammer
from bench.targets import TARGETS

CONNECTIONS = 64
COUNT = 30_000
SECONDS = 15.0
FAULTY_EVERY = 20  # two failed records per 20: 100 error entries in 1000 records
A_RECORDS = 1000
A_ERRORS = 2 * A_RECORDS // FAULTY_EVERY
B_RECORDS = A_ERRORS // 2  # all failing, with entries twice as big: a body about A's size
SPREAD_FACTOR = 1.25  # B's bodies add up to this many times the cache's byte budget
B_CODE, B_USER = "b000001", "integrador-b"


def _hammer(url: str, headers: dict[str, str], targets: list[str] | None = None) -> Run:
    return hammer(
        "GET",
        url,
        connections=CONNECTIONS,
        count=COUNT,
        seconds=SECONDS,
        headers=headers,
        warmup=2 * CONNECTIONS,
        targets=targets or (),
    )


def cache_bytes() -> int:
    """The byte budget of the finished-report cache as itg builds it (its default)."""
    from itg.processes.report import FinishedReports

    default = inspect.signature(FinishedReports).parameters["max_bytes"].default
    if not isinstance(default, int):
        raise RuntimeError("FinishedReports has no integer max_bytes default: update the bench")
    return default


def failing_body(records: int) -> bytes:
    """`records` people that each fail with four messages (SPEC 2.2: CPF, PIS, e-mail and
    admission date invalid) under a 30-character matrícula: one error entry per record about
    twice the size of A's, so B's processes overflow the cache with half as many records to
    apply (a failed record costs the worker about what an applied one does)."""
    people = []
    for n in range(records):
        p = person(n)
        cpf, pis = str(p["cpf"]), str(p["pis"])
        p["matricula"] = f"BENCH-MONITOR-SPREAD-{n:09d}"
        p["cpf"] = f"{cpf[:10]}{(int(cpf[10]) + 1) % 10}"
        p["pis"] = f"{pis[:10]}{(int(pis[10]) + 1) % 10}"
        p["email"] = f"pessoa.{n:07d}.example.com"
        p["dataAdmissao"] = "31/02/2024"
        people.append(p)
    return orjson.dumps(people)


def _cli(database_url: str, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "itg", *args],
        cwd=REPO_ROOT,
        env=bench_env(ITG_DATABASE_URL=database_url),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode()


def _company_b(database_url: str) -> dict[str, str]:
    """Company B and its service user, created as an operator would; B's headers."""
    _cli(database_url, "company", "create", B_CODE, "--name", "Company B")
    created = json.loads(
        _cli(database_url, "user", "create", B_USER, "--company", B_CODE, "--json")
    )
    return basic_headers(created["username"], created["password"])


def _get(client: httpx.Client, query: str, headers: dict[str, str]) -> httpx.Response:
    answer = client.get(f"/process?{query}", headers=headers)
    answer.raise_for_status()
    return answer


def _expect(label: str, report: dict[str, Any], status: str, errors: int) -> list[str]:
    got = (report["status"], len(report["data"]["errors"]))
    if got == (status, errors):
        return []
    return [f"{label}: {got[0]} with {got[1]} errors, expected {status} with {errors}"]


def run() -> list[Figure]:
    banner(f"monitor: GET /process, {CONNECTIONS} connections: cached, spread, unique")
    budget = cache_bytes()
    one_b = failing_body(B_RECORDS)
    with scratch_dir() as directory:
        itg = init_itg(directory)
        b_headers = _company_b(itg.database_url)
        with (
            serve_itg(directory, itg.database_url, workers=0) as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            accepted = client.post(
                "/people",
                content=people_body(0, A_RECORDS, faulty_every=FAULTY_EVERY),
                headers=itg.headers,
            )
            accepted.raise_for_status()
            a_sub, a_unique = accepted.json()["subunique"], accepted.json()["unique"]
            # B's first request tells the size of one of its bodies, hence how many make the
            # cache overflow.
            first_b = client.post("/people", content=one_b, headers=b_headers)
            first_b.raise_for_status()
            drain_queue(itg.database_url)
            b_size = len(
                _get(client, f"subunique={first_b.json()['subunique']}", b_headers).content
            )
            spread = math.ceil(SPREAD_FACTOR * budget / b_size)
            print(
                f"  cache budget {budget / 2**20:.0f} MiB; one of B's bodies {b_size} bytes:"
                f" {spread} of B's processes",
                flush=True,
            )
            posting = hammer(
                "POST",
                f"{server.url}/people",
                connections=8,
                count=spread - 1,
                seconds=600,
                body=one_b,
                headers=b_headers,
                warmup=0,
            )
            problems = failed("posting B's requests", posting)
            seconds, _ = drain_queue(itg.database_url)
            print(f"  {posting.answered + 1} of B's requests accepted; applied in {seconds:.1f}s")
            b_processes = list_processes(server.url, b_headers)
            b_final = sum(p["status"] == "error" and p["errors"] == B_RECORDS for p in b_processes)
            if b_final != spread or len(b_processes) != spread:
                problems.append(f"{b_final} of {spread} B processes final with {B_RECORDS} errors")
            answers = {
                "cached": _get(client, f"subunique={a_sub}", itg.headers),
                "spread": _get(client, f"subunique={b_processes[0]['subunique']}", b_headers),
                "unique": _get(client, f"unique={a_unique}", itg.headers),
            }
            problems += _expect("A", answers["cached"].json(), "warning", A_ERRORS)
            problems += _expect("A's window", answers["unique"].json(), "warning", A_ERRORS)
            problems += _expect("B", answers["spread"].json(), "error", B_RECORDS)
            if spread * b_size <= budget:
                problems.append("B's bodies fit in the cache")
            for name, answer in answers.items():
                print(f"  {name}: answer of {len(answer.content)} bytes", flush=True)
            targets = [f"/process?subunique={p['subunique']}" for p in b_processes]
            itg_runs = {
                "cached": _hammer(f"{server.url}/process?subunique={a_sub}", itg.headers),
                "spread": _hammer(f"{server.url}/process", b_headers, targets),
                "unique": _hammer(f"{server.url}/process?unique={a_unique}", itg.headers),
            }
        base_runs = {}
        for name, answer in answers.items():
            answer_file = directory / f"{name}.json"
            answer_file.write_bytes(answer.content)
            with serve_module(directory, "baseline_monitor", "--body", str(answer_file)) as base:
                base_runs[name] = _hammer(f"{base.url}/process?subunique=x", itg.headers)

    labels = {  # name: (label, SPEC 6.1 row judging it)
        "cached": ("monitor req/s, cached", TARGETS["monitor"]),
        "spread": (f"monitor req/s, over {spread}, uncached", TARGETS["monitor"]),
        "unique": ("monitor req/s, ?unique=", None),
    }
    figures = []
    for name, (label, target) in labels.items():
        itg_run, base_run = itg_runs[name], base_runs[name]
        print(f"  {name:<7} itg:      {describe(itg_run)}", flush=True)
        print(f"  {name:<7} baseline: {describe(base_run)}", flush=True)
        run_problems = problems + failed("itg", itg_run) + failed("baseline", base_run)
        figures.append(figure(label, "req/s", itg_run.rate, base_run.rate, target, run_problems))
    for f in figures:
        show(f)
    return figures
