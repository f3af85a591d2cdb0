"""The one exception tree of visinstruct.

Every error a user can see derives from :class:`VisinstructError`; its message says what went
wrong and what to do next. Third-party errors are wrapped with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "CommitError",
    "ConfigError",
    "FatalModelError",
    "InputError",
    "ModelError",
    "OutputParseError",
    "StaleRevisionError",
    "StoreError",
    "TransientModelError",
    "UnitError",
    "VisinstructError",
]


class VisinstructError(Exception):
    """Base of every error visinstruct raises on purpose."""


class ConfigError(VisinstructError):
    """A config file or option is invalid; the message names the file and the field."""

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None):
        self.path = path
        self.field = field
        where = ": ".join(p for p in (path, field) if p)
        super().__init__(f"{where}: {message}" if where else message)


class InputError(VisinstructError):
    """User input (a file, a folder, a row) cannot be used; the message names it."""


class StoreError(VisinstructError):
    """The project database cannot be opened, migrated or written."""


class CommitError(StoreError):
    """Finished units could not be committed: the run stops, and the units not committed are
    done again by the next run (their calls are paid again; nothing stored is lost)."""


class StaleRevisionError(StoreError):
    """A change was made on a revision of an instruction that is no longer the current one
    (someone else changed it first); nothing was written."""

    def __init__(self, instruction_id: str, expected: int, current: int):
        self.instruction_id = instruction_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"instruction {instruction_id} changed since revision {expected} (now {current}); "
            "reload it and decide on the current version"
        )


class ModelError(VisinstructError):
    """A model call failed. ``raw`` holds the (redacted) response body when there was one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        raw: str | None = None,
        retry_after: float | None = None,
    ):
        self.status = status
        self.raw = raw
        self.retry_after = retry_after
        super().__init__(message)


class TransientModelError(ModelError):
    """A call that may succeed when tried again (429, 5xx, timeout, dropped connection)."""


class FatalModelError(ModelError):
    """A call that will never succeed as configured (bad key, wrong model, wrong URL).

    The whole run stops at once on this error: every further call would fail the same way.
    """


class UnitError(VisinstructError):
    """One work unit failed for a reason of its own (e.g. a refused or unusable reply).

    The unit is recorded as failed with this message; the run goes on.
    """

    def __init__(self, message: str, *, raw: str | None = None):
        self.raw = raw
        super().__init__(message)


class OutputParseError(UnitError):
    """A model reply could not be parsed into records."""
