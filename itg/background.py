"""Threads that run for the duration of a `with` block: the worker pool and the webhook
senders of a worker process (`itg serve`, `itg worker`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Background(ABC):
    """`with it:` starts its threads and, however the block ends, shuts them down."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def shutdown(self) -> None:
        """Stop the threads, each at a safe point, and return."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
