"""POST /absences (SPEC 2.4): status arithmetic (end to end through HTTP) and the queries of a
chunk.

Records are applied by the absences service (the `ready` harness of conftest.py: employees
ANA and BIA, reason ATM) unless a test says it goes through HTTP.
"""

from __future__ import annotations

from tests.builders import ANA, BIA, absence
from tests.driving import Driver, recording_statements, selects_from
from tests.harness import Harness

ROUTE = "absences"


def test_status_arithmetic(ready: Harness, api: Driver) -> None:
    done = api.apply(ROUTE, [absence("a", "2024-01-01", "2024-01-01"), absence("b")])
    assert (done["status"], done["progress"]) == ("done", {"done": "2", "total": "2"})
    warning = api.apply(
        ROUTE, [absence("c", "2024-03-01", "2024-03-01"), absence("a"), absence("d", "x")]
    )
    assert (warning["status"], warning["progress"]) == ("warning", {"done": "3", "total": "3"})
    assert [e["index"] for e in warning["data"]["errors"]] == [1, 2]
    failed = api.apply(ROUTE, [absence("a"), {"operation": "DEL"}])
    assert (failed["status"], failed["progress"]) == ("error", {"done": "2", "total": "2"})
    assert len(failed["data"]["errors"]) == 2


def test_one_query_per_table_per_chunk(ready: Harness) -> None:
    ready.lock("2030-01")
    records = [
        absence(
            f"c{i}", f"2024-01-{i + 1:02d}", f"2024-01-{i + 1:02d}", matricula=(ANA, BIA)[i % 2]
        )
        for i in range(28)
    ]
    with recording_statements(ready.db) as statements:
        report = ready.apply(ROUTE, records)
    assert report["status"] == "done"
    for table in ("people", "reasons", "absences", "locked_periods"):
        assert selects_from(statements, table) == 1, (table, statements)
