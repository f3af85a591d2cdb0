"""The connection, transactions and migrations every part of the store stands on."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from visinstruct.errors import StoreError
from visinstruct.store.migrations import MIGRATIONS

_S = TypeVar("_S", bound="StoreCore")


def forbid_databases(message: str) -> None:
    """Make this process unable to open any SQLite database (``message``, formatted with the
    database's path, says why): a distributed executor's workers, which must get everything a
    unit needs from the driver, call it before they build their job."""

    def refuse(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        raise RuntimeError(message.format(database))

    sqlite3.connect = refuse  # type: ignore[assignment]


def databases_forbidden() -> bool:
    """Whether :func:`forbid_databases` is in force in this process."""
    return getattr(sqlite3.connect, "__name__", "") == "refuse"


class StoreCore:
    """A connection to one project database. Not shared across threads."""

    _db: sqlite3.Connection
    busy_timeout_s: float = 30.0
    """How long a synchronous write waits for another connection's lock before it fails."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_s)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the project database: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        applied = {row[0] for row in self._db.execute("SELECT name FROM schema_migrations")}
        known = {name for name, _ in MIGRATIONS}
        if applied - known:
            raise StoreError(
                f"{self.path} was written by a newer visinstruct "
                f"(migrations {sorted(applied - known)}); upgrade visinstruct to open it"
            )
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            with self.transaction() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time()))

    def migrations(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM schema_migrations ORDER BY name")]
