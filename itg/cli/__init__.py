"""The `itg` command: thin commands over the same functions the API uses."""

from itg.cli.main import main

__all__ = ["main"]
