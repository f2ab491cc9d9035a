"""The few threads on which the hot routes read storage (issue 10, monitor).

Storage calls block, so they leave the event loop; but not for the default pool of 40
threads. A read is mostly Python (SQLAlchemy) holding the GIL, and the driver lets the GIL go
around every row it steps (SQLite) or every round trip (PostgreSQL): with dozens of threads
reading at once, each of those hand-overs wakes a competing thread, and the process spent
more time handing the GIL around (futex calls, system time) than reading. Measured with 64
connections reading uncached reports on SQLite: 40 threads served 380–750 requests/s, 8
threads about 1,000, one thread 1,450–1,800 (docs/performance.md). So reads queue for
`READ_THREADS` threads of their own, and an uncached read costs about what it costs alone.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from itg.storage.database import Database

P = ParamSpec("P")
T = TypeVar("T")

# SQLite reads are CPU (GIL) bound: one thread gets all a process can; a second one covers a
# read that waits for the disk. A PostgreSQL read waits on the network: a few more overlap.
SQLITE_READ_THREADS = 2
POSTGRES_READ_THREADS = 8


class ReadThreads:
    """Runs blocking storage reads on a small pool of threads of its own."""

    def __init__(self, db: Database) -> None:
        threads = SQLITE_READ_THREADS if db.is_sqlite else POSTGRES_READ_THREADS
        # Threads start on first use, and end when the pool is garbage collected.
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="itg-read")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on a read thread, awaited."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    async def iterate(self, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
        """A blocking iterator (a body streamed from storage) read on a read thread."""
        while (chunk := await self.run(_next, chunks)) is not None:
            yield chunk


def _next(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
