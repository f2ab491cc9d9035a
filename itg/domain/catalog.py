"""How catalog entries (reasons, schedules, profiles) are matched: one normalisation that the
services use to look them up and storage uses to store their keys (SPEC 2.1)."""

from __future__ import annotations


def catalog_key(text: str) -> str:
    """Catalog lookups are case-insensitive and trimmed (SPEC 2.1)."""
    return text.strip().casefold()
