"""How catalog entries (reasons, schedules, profiles) are matched: one normalisation that the
services use to look them up and storage uses to store their keys (SPEC 2.1)."""

from __future__ import annotations

from enum import StrEnum


class CatalogKind(StrEnum):
    """The three catalogs of a company. Here rather than in storage so that the CLI can offer
    them as choices without importing SQLAlchemy."""

    REASON = "reason"
    SCHEDULE = "schedule"
    PROFILE = "profile"


def catalog_key(text: str) -> str:
    """Catalog lookups are case-insensitive and trimmed (SPEC 2.1)."""
    return text.strip().casefold()
