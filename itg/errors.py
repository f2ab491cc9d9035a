"""One exception root for itg; each boundary translates these once: HTTP statuses in
itg/api/error_handlers.py (a new error class gets its row there), exit statuses in
itg/cli/main.py."""


class ItgError(Exception):
    """Base of every error itg raises on purpose."""


class ConfigError(ItgError):
    """A setting (environment variable or flag) has an unusable value."""


class NotFoundError(ItgError):
    """A named thing (company, user, process) does not exist."""


class ConflictError(ItgError):
    """A thing with that name already exists."""


class UsageError(ItgError):
    """A command was called with words it cannot accept (exit status 2 in the CLI)."""


class ProcessExpiredError(ItgError):
    """A process exists but is past its validity (HTTP 410)."""


class LeaseLostError(ItgError):
    """A worker's claim was taken over (its attempt is stale); it must stop without writing."""
