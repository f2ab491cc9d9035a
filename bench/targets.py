"""SPEC 6.1's performance targets, in one table: every figure of the bench is judged here.

Each row names the figure and its baseline as SPEC 6.1 words them, and how the two compare.
A figure module never writes a threshold of its own: it picks its row from `TARGETS` and the
row says whether the target holds. When SPEC 6.1 changes, this table is the one place to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Compare(Enum):
    AT_LEAST = "at least"  # itg >= limit x baseline (a rate: more is better)
    AT_MOST = "at most"  # itg <= limit x baseline (a time or latency: less is better)
    GROWS_LESS = "grows less"  # itg - baseline < limit, in the figure's unit (memory)


@dataclass(frozen=True)
class Target:
    """One row of SPEC 6.1 (accept has two conditions, hence two rows here)."""

    key: str
    figure: str  # SPEC 6.1's words for what is measured
    baseline: str  # SPEC 6.1's words for what it is compared with
    compare: Compare
    limit: float
    unit: str = ""  # GROWS_LESS only: the unit of `limit`, which is the figure's unit

    def holds(self, itg: float, baseline: float) -> bool:
        if self.compare is Compare.AT_LEAST:
            return itg >= self.limit * baseline
        if self.compare is Compare.AT_MOST:
            return itg <= self.limit * baseline
        return itg - baseline < self.limit

    @property
    def text(self) -> str:
        """The target as the summary prints it, e.g. `≥ 0.7×`, `growth < 50 MB`."""
        if self.compare is Compare.AT_LEAST:
            return f"≥ {self.limit:g}×"
        if self.compare is Compare.AT_MOST:
            return f"≤ {self.limit:g}×"
        return f"growth < {self.limit:g} {self.unit}"

    def judged(self, itg: float, baseline: float) -> str:
        """The quantity the target is about: the ratio, or the growth for memory."""
        if self.compare is Compare.GROWS_LESS:
            return f"{itg - baseline:+.1f} {self.unit}"
        return f"{itg / baseline:.2f}×" if baseline else "-"


def _row(
    key: str, figure: str, baseline: str, compare: Compare, limit: float, unit: str = ""
) -> Target:
    return Target(key, figure, baseline, compare, limit, unit)


TARGETS: dict[str, Target] = {
    t.key: t
    for t in (
        _row(
            "accept",
            "accept: `POST /people`, 1000 records (~330 KB), 8 connections, requests/s",
            "a bare ASGI endpoint on the same server that reads the body, parses it, and"
            " commits it raw to SQLite (fsync'd)",
            Compare.AT_LEAST,
            0.7,
        ),
        _row(
            "accept p99",
            "accept: the same run's p99 latency",
            "the baseline's p99",
            Compare.AT_MOST,
            2.0,
        ),
        _row(
            "apply",
            "apply: people records/s from accept to final status (CPF/PIS/e-mail uniqueness on)",
            "raw SQLite upsert of equivalent rows, same indexes, 1000-row transactions",
            Compare.AT_LEAST,
            0.4,
        ),
        _row(
            "monitor",
            "monitor: `GET /process?subunique=` requests/s, 64 connections",
            "a bare ASGI endpoint returning a constant JSON of the same size",
            Compare.AT_LEAST,
            0.5,
        ),
        _row(
            "memory",
            "memory: RSS of `itg serve` after 10,000 accepted requests",
            "RSS right after start",
            Compare.GROWS_LESS,
            50.0,
            "MB",
        ),
        _row(
            "scale",
            "scale-out: PostgreSQL, 10 companies × 1000 people, accept → final, records/s,"
            " 2 worker processes",
            "the same with 1 worker process",
            Compare.AT_LEAST,
            1.6,
        ),
        _row(
            "backlog",
            "deep backlog: one 1-record `POST` with 20,000 / 100,000 requests stored, p50",
            "the same on an empty database",
            Compare.AT_MOST,
            2.0,
        ),
        _row(
            "fairness",
            "fairness: company B's 1-record request, one worker, while A has 40 × 1000"
            " records queued",
            "the time to apply one of A's requests",
            Compare.AT_MOST,
            2.0,
        ),
        _row(
            "startup",
            "start-up: `itg --help`, `itg status`",
            '`python -c "import httpx"`',
            Compare.AT_MOST,
            2.0,
        ),
    )
}


def describe() -> str:
    """The table itself, to hold beside SPEC 6.1 (`python -m bench --targets`)."""
    return "\n".join(
        f"{t.key:<11} {t.text:<16} {t.figure}\n{'':<11} {'':<16} vs {t.baseline}"
        for t in TARGETS.values()
    )
