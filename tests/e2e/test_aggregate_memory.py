"""SPEC 1.6: `GET /process?unique=` is streamed from storage, so a dozen concurrent reads of a
window with 100,000 error entries grow a real `itg serve` process by a few MB each at most
(issue 8, point 4: 12 reads of a 13.8 MB body once took a server from 136 MB to 944 MB).

The window is built straight through the storage layer (100 accepted requests marked finished,
their 100,000 error rows inserted in bulk) instead of applying 100,000 records; the server runs
without workers, so nothing else allocates while it is measured.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import insert, update

from itg.storage import tenants
from itg.storage.intake import accept_request
from itg.storage.schema import ERROR, record_errors, requests
from itg.timeutil import utcnow
from tests.processes import Itg

pytestmark = pytest.mark.e2e

REQUESTS = 100
ERRORS_PER_REQUEST = 1000
READERS = 12
GROWTH_LIMIT_KB = 100 * 1024  # in total, for all READERS reads together
MESSAGES = '["Data de admissão inválida","Campo obrigatório: nome"]'


def build_window(itg: Itg) -> str:
    """100 finished people requests of one window, 1000 failed records each; returns the unique."""
    with itg.db.read() as conn:
        company_id = tenants.company_id(conn, itg.credentials.company)
    accepted = [
        accept_request(
            itg.db,
            company_id=company_id,
            company_code=itg.credentials.company,
            route="people",
            payload=b"[]",  # never read: the requests are finished before any worker runs
            total=ERRORS_PER_REQUEST,
            validity_seconds=900,
        )
        for _ in range(REQUESTS)
    ]
    (unique,) = {answer.unique for answer in accepted}
    with itg.db.write() as conn:
        ids = [
            row.id
            for row in conn.execute(
                requests.select().where(requests.c.company_id == company_id)
            ).all()
        ]
        conn.execute(
            update(requests)
            .where(requests.c.id.in_(ids))
            .values(
                status=ERROR,
                done=ERRORS_PER_REQUEST,
                failed=ERRORS_PER_REQUEST,
                finished_at=utcnow(),
            )
        )
        for request_id in ids:
            conn.execute(
                insert(record_errors),
                [
                    {
                        "request_id": request_id,
                        "idx": idx,
                        "identifier": f"M{request_id:03d}-{idx:04d}",
                        "messages": MESSAGES,
                    }
                    for idx in range(ERRORS_PER_REQUEST)
                ],
            )
    return unique


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def reset_peak(pid: int) -> None:
    """Reset VmHWM to the current RSS (Linux: `5` in clear_refs), so the peak is this test's."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass  # then VmHWM still holds the start-up peak, which only makes the bound stricter


def test_concurrent_reads_of_a_huge_window_grow_the_server_by_little(itg: Itg, tmp_path: Path):
    # Given a window of 100 finished requests with 1000 error entries each, and a server
    unique = build_window(itg)
    server = itg.serve(workers=0)
    pid = server.process.pid
    with server.client() as client:
        assert client.get("/process", params={"unique": "0badf00d"}).status_code == 404
    reset_peak(pid)
    before = memory_kb(pid)

    # When 12 clients read the whole window at the same time (each body goes to a file)
    start = threading.Barrier(READERS, timeout=60)

    def read(n: int) -> tuple[int, Path]:
        path = tmp_path / f"window-{n}.json"
        with server.client() as client:
            client.timeout = httpx.Timeout(300.0)
            start.wait()
            with client.stream("GET", "/process", params={"unique": unique}) as response:
                with path.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                return response.status_code, path

    with ThreadPoolExecutor(max_workers=READERS) as pool:
        results = list(pool.map(read, range(READERS)))
    after = memory_kb(pid)

    # Then every read got the whole window, identical bytes each time
    assert [status for status, _ in results] == [200] * READERS
    first = results[0][1].read_bytes()
    assert all(path.read_bytes() == first for _, path in results[1:])
    window = orjson.loads(first)
    del first
    errors = window["data"]["errors"]
    assert len(errors) == REQUESTS * ERRORS_PER_REQUEST
    assert len(window["processes"]) == REQUESTS
    assert errors[0]["index"] == 0 and errors[-1]["index"] == ERRORS_PER_REQUEST - 1
    assert errors[0]["message"] == orjson.loads(MESSAGES)
    assert [p["subunique"] for p in window["processes"]] == list(
        dict.fromkeys(error["subunique"] for error in errors)
    )
    assert (window["status"], window["progress"]) == (
        "error",
        {"done": str(REQUESTS * ERRORS_PER_REQUEST), "total": str(REQUESTS * ERRORS_PER_REQUEST)},
    )
    # And the server's peak RSS grew by less than 100 MB in total (kB figures in the message)
    growth = after["VmHWM"] - before["VmRSS"]
    assert growth < GROWTH_LIMIT_KB, f"RSS before {before}, after {after}: +{growth} kB"
