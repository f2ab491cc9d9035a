"""Figure `apply`: people records/s from queued to final status (SPEC 6.1).

10 requests of 1000 distinct, valid people (matrícula, CPF, PIS and e-mail all unique, so
every uniqueness check runs and every record is inserted) are accepted through
`itg serve --workers 0`, then one in-process Worker drains the queue; the time is the drain
alone (accepting is the `accept` figure). The baseline is bench/baseline_apply.py: raw
upserts of the same payloads, 1000-row transactions, the same indexes.
"""

from __future__ import annotations

import httpx

from bench.baseline_apply import upsert_all
from bench.common import (
    Figure,
    banner,
    drain_queue,
    init_itg,
    people_body,
    scratch_dir,
    serve_itg,
    show,
)

REQUESTS = 10
RECORDS = 1000


def run() -> list[Figure]:
    banner(f"apply: {REQUESTS} x {RECORDS} people, queued -> final status")
    payloads = [people_body(n * RECORDS, RECORDS) for n in range(REQUESTS)]
    total = REQUESTS * RECORDS
    with scratch_dir() as directory:
        itg = init_itg(directory)
        with serve_itg(directory, itg, workers=0) as server, httpx.Client() as client:
            subuniques = []
            for payload in payloads:
                answer = client.post(f"{server.url}/people", content=payload, headers=itg.headers)
                answer.raise_for_status()
                subuniques.append(answer.json()["subunique"])
            itg_seconds, claimed = drain_queue(itg.database_url)
            # Read the outcome through the API, the way a client would see it.
            statuses = [
                client.get(f"{server.url}/process?subunique={s}", headers=itg.headers).json()
                for s in subuniques
            ]
        final = sorted(
            {f"{p['status']} {p['progress']['done']}/{p['progress']['total']}" for p in statuses}
        )
        print(f"  itg:      {claimed} requests drained in {itg_seconds:.2f}s", flush=True)
        print(f"            final status of each: {', '.join(final)}", flush=True)
        base_seconds = upsert_all(directory / "baseline.db", payloads)
        print(f"  baseline: {total} rows upserted in {base_seconds:.2f}s", flush=True)

    figure = Figure(
        "apply records/s",
        "rec/s",
        total / itg_seconds,
        total / base_seconds,
        ">= 0.4x",
        total / itg_seconds >= 0.4 * total / base_seconds,
    )
    show(figure.name, figure.itg, figure.baseline, figure.unit, figure.target)
    return [figure]
