"""CPU seconds used by processes, read from /proc (Linux), for the CPU splits the bench prints.

A figure that runs several processes (workers, PostgreSQL backends) is judged against what
the machine's cores allow: these say who spent them. A process tree's time counts its live
members plus what its dead children spent, which the kernel adds to their parent when it
reaps them (PostgreSQL's postmaster reaps its backends).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process is gone
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int, *, reaped_children: bool = False) -> float:
    """User + system seconds of `pid` (and, if asked, of its children it has reaped)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def processes_cpu(pids: Iterable[int]) -> float:
    return sum(process_cpu(pid) for pid in pids)


def tree_cpu(root: int) -> float:
    """Seconds spent by `root` and every descendant, living or reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        members = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= members
        grew = bool(members)
    return sum(process_cpu(pid, reaped_children=True) for pid in tree)


def postmaster_pid(data_directory: str) -> int:
    """The pid of the PostgreSQL server whose data directory this is (postmaster.pid)."""
    first_line = (Path(data_directory) / "postmaster.pid").read_text().splitlines()[0]
    return int(first_line)
