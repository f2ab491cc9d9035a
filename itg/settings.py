"""Configuration, read once from ITG_* environment variables (and CLI flags).

Settings is a frozen value passed down explicitly; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from itg.errors import ConfigError

# A number setting is an int or a float: both convert to float for the bounds check.
Number = TypeVar("Number", int, float)

DEFAULT_DATABASE_URL = "sqlite:///itg.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    validity_seconds: int = 900
    retention_days: float = 7.0
    max_body_bytes: int = 1_048_576
    max_records: int = 1000
    lease_seconds: float = 30.0
    chunk_size: int = 100
    poll_seconds: float = 0.5
    credential_cache_seconds: float = 2.0
    sqlite_synchronous: str = "FULL"
    max_attempts: int = 3
    # Slow or abusive connections (SPEC 6): see itg/api/connections.py.
    read_timeout_seconds: float = 30.0
    max_connections: int = 1000
    # Quotas (SPEC 1.10): records waiting per company (0: none), requests per second per
    # company and API process (0: off).
    max_pending_records: int = 1_000_000
    rate_per_second: float = 0.0
    # The directory shared by the itg processes of a host for GET /metrics (SPEC 1.7); None:
    # one per database under the temp dir (itg/metrics.py).
    metrics_dir: str | None = None
    log_format: str = "text"  # text or json (SPEC 1.7): see itg/logs.py
    # After SIGTERM, `itg serve` answers /readyz 503 this long before it stops accepting
    # (a load balancer's time to notice; 0: no drain). See itg/cli/draining.py.
    drain_seconds: float = 2.0
    # Completion webhooks (SPEC 1.12): the delays between attempts (the last one repeats),
    # how long after the event it is given up, each attempt's timeout, sends per process.
    webhook_retry_seconds: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 3600.0, 10800.0)
    webhook_give_up_seconds: float = 86_400.0
    webhook_timeout_seconds: float = 10.0
    webhook_senders: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ITG_* variables; explicit overrides (flags) win."""
        env = os.environ if environ is None else environ
        read = _Reader(env)
        settings = cls(
            database_url=read.text("ITG_DATABASE_URL", DEFAULT_DATABASE_URL),
            validity_seconds=read.number("ITG_VALIDITY_SECONDS", 900, int, minimum=1),
            retention_days=read.number("ITG_RETENTION_DAYS", 7.0, float, minimum=0),
            max_body_bytes=read.number("ITG_MAX_BODY_BYTES", 1_048_576, int, minimum=1),
            max_records=read.number("ITG_MAX_RECORDS", 1000, int, minimum=1),
            lease_seconds=read.number("ITG_LEASE_SECONDS", 30.0, float, minimum=1),
            chunk_size=read.number("ITG_CHUNK_SIZE", 100, int, minimum=1),
            poll_seconds=read.number("ITG_POLL_SECONDS", 0.5, float, minimum=0.01),
            sqlite_synchronous=read.choice("ITG_SQLITE_SYNCHRONOUS", "FULL", ("FULL", "NORMAL")),
            read_timeout_seconds=read.number("ITG_READ_TIMEOUT_SECONDS", 30.0, float, minimum=0.1),
            max_connections=read.number("ITG_MAX_CONNECTIONS", 1000, int, minimum=1),
            max_pending_records=read.number("ITG_MAX_PENDING_RECORDS", 1_000_000, int, minimum=0),
            rate_per_second=read.number("ITG_RATE_PER_SECOND", 0.0, float, minimum=0),
            metrics_dir=read.text("ITG_METRICS_DIR", "") or None,
            log_format=read.choice("ITG_LOG_FORMAT", "TEXT", ("TEXT", "JSON")).lower(),
            drain_seconds=read.number("ITG_DRAIN_SECONDS", 2.0, float, minimum=0),
            webhook_retry_seconds=read.delays(
                "ITG_WEBHOOK_RETRY_SECONDS", (5.0, 30.0, 120.0, 600.0, 3600.0, 10800.0)
            ),
            webhook_give_up_seconds=read.number(
                "ITG_WEBHOOK_GIVE_UP_SECONDS", 86_400.0, float, minimum=0
            ),
            webhook_timeout_seconds=read.number(
                "ITG_WEBHOOK_TIMEOUT_SECONDS", 10.0, float, minimum=0.1
            ),
            webhook_senders=read.number("ITG_WEBHOOK_SENDERS", 4, int, minimum=1),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply flag values, ignoring the ones that were not given (None)."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, **given) if given else self

    @property
    def retention_seconds(self) -> float:
        return self.retention_days * 86_400


class _Reader:
    """Reads and checks one variable at a time, naming it in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.upper() not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return raw.upper()

    def delays(self, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
        """Comma-separated seconds, each a finite number >= 0, at least one."""
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            values = tuple(float(part) for part in raw.split(","))
        except ValueError:
            raise ConfigError(f"{name} must be comma-separated seconds, got {raw!r}") from None
        if not all(math.isfinite(value) and value >= 0 for value in values):
            raise ConfigError(f"{name} must be comma-separated seconds >= 0, got {raw!r}")
        return values

    def number(
        self, name: str, default: Number, kind: Callable[[str], Number], *, minimum: float
    ) -> Number:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = kind(raw)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise ConfigError(f"{name} must be {noun}, got {raw!r}") from None
        if not math.isfinite(float(value)) or float(value) < minimum:
            raise ConfigError(f"{name} must be a number >= {minimum:g}, got {raw!r}")
        return value
