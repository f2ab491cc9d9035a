"""`python -m bench [accept|apply|monitor|memory ...]`: run figures, print a summary table.

Every figure runs beside its baseline in the same run (SPEC 6.1), one after the other so they
never compete for the CPU. Nothing fails on a slow machine: a figure that breaks (e.g. itg
does not start) is reported and the others still run; the exit status is 1 only then.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import signal
import time
import traceback
from collections.abc import Callable

from bench import accept, apply, backlog, fairness, memory, monitor, scale
from bench.common import Figure

FIGURES: dict[str, Callable[[], list[Figure]]] = {
    "accept": accept.run,
    "apply": apply.run,
    "monitor": monitor.run,
    "memory": memory.run,
    "scale": scale.run,
    "backlog": backlog.run,
    "fairness": fairness.run,
}


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def summary(figures: list[Figure]) -> str:
    header = ("figure", "itg", "baseline", "ratio", "target", "met?")
    rows = [
        (
            f"{f.name} ({f.unit})",
            _number(f.itg),
            _number(f.baseline),
            f"{f.ratio:.2f}",
            f.target,
            "-" if f.met is None else ("yes" if f.met else "NO"),
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        # Names and targets read left to right; numbers line up on the right.
        return "  ".join(
            cell.ljust(w) if i in (0, 4, 5) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # SIGTERM's default ends Python without unwinding: servers and temp dirs would be left
    # behind. SystemExit runs every `finally` that stops them.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "figures", nargs="*", metavar="FIGURE", help=f"some of: {', '.join(FIGURES)} (default: all)"
    )
    names = parser.parse_args().figures or list(FIGURES)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    print(
        f"itg bench: Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" figures: {', '.join(names)}",
        flush=True,
    )
    started = time.monotonic()
    figures: list[Figure] = []
    broken: list[str] = []
    for name in names:
        try:
            figures += FIGURES[name]()
        except Exception:  # report and go on: one broken figure must not hide the others
            traceback.print_exc()
            broken.append(name)
    print(f"\n=== summary ({time.monotonic() - started:.0f}s) ===")
    print(summary(figures))
    if broken:
        print(f"\nfigures that could not be measured: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
