"""`python -m bench [accept|apply|monitor|...] [--markdown]`: run figures, print a summary.

Every figure runs beside its baseline in the same run (SPEC 6.1), one after the other so they
never compete for the CPU, and is judged by its row of bench/targets.py (the one copy of
SPEC 6.1's targets). Nothing fails on a slow machine: a missed target is printed as such.
A figure whose work did not happen (a request not applied, an answer not 200), or that
could not run at all, is reported without a number, and the exit status is then 1.
`--markdown` prints the summary as the README's table, to paste from a real run.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import signal
import time
import traceback
from collections.abc import Callable

from bench import (
    accept,
    apply,
    backlog,
    fairness,
    memory,
    monitor,
    scale,
    send,
    startup,
    targets,
)
from bench.common import Figure

FIGURES: dict[str, Callable[[], list[Figure]]] = {
    "accept": accept.run,
    "apply": apply.run,
    "monitor": monitor.run,
    "memory": memory.run,
    "scale": scale.run,
    "backlog": backlog.run,
    "fairness": fairness.run,
    "startup": startup.run,
    "send": send.run,
}


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def _met(f: Figure, yes: str = "yes", no: str = "NO") -> str:
    if f.broken:
        return "BROKEN"
    return "-" if f.met is None else (yes if f.met else no)


def summary(figures: list[Figure]) -> str:
    """The plain-text table: one row per figure, its target from bench/targets.py."""
    header = ("figure", "itg", "baseline", "ratio", "target", "met?")
    rows = [
        (
            f"{f.name} ({f.unit})",
            _number(f.itg),
            _number(f.baseline),
            f.judged,
            "-" if f.target is None else f.target.text,
            _met(f),
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
    return "\n".join([line(header), rule, *(line(row) for row in rows), *_broken(figures)])


def markdown(figures: list[Figure], names: list[str]) -> str:
    """The summary as the README's markdown table, headed by when and where it ran."""
    command = f"python -m bench {' '.join(names)}" if names else "make bench"
    head = (
        f"`{command}` on {datetime.date.today().isoformat()},"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}:"
    )
    lines = [
        head,
        "",
        "| figure | itg | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        itg, base = (
            ("–", "–")
            if f.broken
            else (f"{_number(f.itg)} {f.unit}", f"{_number(f.baseline)} {f.unit}")
        )
        target = "–" if f.target is None else f.target.text
        met = f"broken: {f.broken}" if f.broken else _met(f, "✓", "✗").replace("-", "–")
        lines.append(
            f"| {f.name} | {itg} | {base} | {f.judged.replace('-', '–')} | {target} | {met} |"
        )
    return "\n".join(lines)


def _broken(figures: list[Figure]) -> list[str]:
    reasons = [f"  {f.name}: {f.broken}" for f in figures if f.broken]
    return (
        ["", "broken figures (their work did not happen, so no number):", *reasons]
        if reasons
        else []
    )


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # SIGTERM's default ends Python without unwinding: servers and temp dirs would be left
    # behind. SystemExit runs every `finally` that stops them.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "figures", nargs="*", metavar="FIGURE", help=f"some of: {', '.join(FIGURES)} (default: all)"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the summary as the README's markdown table"
    )
    parser.add_argument(
        "--targets", action="store_true", help="print the SPEC 6.1 target table and exit"
    )
    args = parser.parse_args()
    if args.targets:
        print(targets.describe())
        return 0
    names = args.figures or list(FIGURES)
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
    failed: list[str] = []
    for name in names:
        try:
            figures += FIGURES[name]()
        except Exception:  # report and go on: one broken figure must not hide the others
            traceback.print_exc()
            failed.append(name)
    print(f"\n=== summary ({time.monotonic() - started:.0f}s) ===")
    print(markdown(figures, args.figures) if args.markdown else summary(figures))
    if failed:
        print(f"\nfigures that could not be measured: {', '.join(failed)}")
    return 1 if failed or any(f.broken for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
