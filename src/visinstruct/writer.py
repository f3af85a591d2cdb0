"""Write-behind commits: unit outcomes and ledger rows, buffered and committed together.

A unit's results and its done mark always commit in the same transaction; what is buffered
and not yet committed is done again by the next run. See :class:`WriteBehind`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from visinstruct.errors import CommitError, StoreError
from visinstruct.records import ModelCall
from visinstruct.store import Store
from visinstruct.store.sqlite import UnitWrite

__all__ = ["WriteBehind"]

log = logging.getLogger(__name__)


class WriteBehind:
    """Unit outcomes and ledger rows, buffered and committed in one transaction per flush.

    A flush from the event loop never waits long for the database: when another connection
    holds the write lock, the buffer is kept, a note is logged once, and the flush is tried
    again shortly, for up to ``lock_wait_s``. A flush that cannot commit (the lock held past
    that, a full disk, a broken file) keeps the buffer and records a :class:`CommitError`,
    which the next unit handed over raises, so the run stops instead of saying "done" of
    work that is not stored. Only what is committed is counted as committed.
    """

    RETRY_S = 0.25
    WAIT_MS = 20

    def __init__(
        self, store: Store, flush_units: int = 256, flush_ms: float = 0.0, lock_wait_s: float = 120
    ):
        self.store = store
        self.flush_units = max(1, flush_units)
        self.flush_ms = flush_ms
        self.lock_wait_s = lock_wait_s
        self._units: list[UnitWrite] = []
        self._calls: list[ModelCall] = []
        self._configs: list[tuple[str, str, dict[str, Any]]] = []
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._locked_since: float | None = None
        self.error: CommitError | None = None
        self.flushes = 0
        self.committed = 0
        self.duplicates = 0

    def add_unit(self, write: UnitWrite) -> None:
        self._raise_if_failed()
        self._units.append(write)
        if len(self._units) >= self.flush_units:
            self._try_flush()
        else:
            self._schedule()

    def add_calls(self, calls: Sequence[ModelCall]) -> None:
        self._calls.extend(calls)
        if len(self._calls) >= 4 * self.flush_units:
            self._try_flush()
        else:
            self._schedule()

    def remember_config(self, stage: str, config_hash: str, settings: dict[str, Any]) -> None:
        """Record a stage setting with the first commit (not at once: planning must not wait
        on a locked database either)."""
        self._configs.append((stage, config_hash, settings))

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def _schedule(self, delay_s: float | None = None) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): nothing would flush later
            self.flush()
            return
        delay = self.flush_ms / 1000.0 if delay_s is None else delay_s
        if delay <= 0:
            self._timer = loop.call_soon(self._try_flush)
        else:
            self._timer = loop.call_later(delay, self._try_flush)

    def _try_flush(self) -> None:
        """Commit what is buffered if the lock can be had at once; else try again soon."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.error is not None or not self._pending():
            return
        try:
            if self._write(self.WAIT_MS):
                return
        except CommitError:
            return  # kept in self.error: the next unit handed over, or the end, raises it
        if self._lock_waited() > self.lock_wait_s:
            self.error = self._lock_error()
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._schedule(self.RETRY_S)

    def flush(self) -> None:
        """Commit everything buffered, waiting for the lock up to ``lock_wait_s`` in all;
        raise :class:`CommitError` when that cannot be done. Called when a run ends."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.error is not None and self._locked_since is None:
            raise self.error  # not a lock: trying again would fail the same way
        while self._pending():
            if self._write(self.WAIT_MS * 10):
                break
            if self._lock_waited() > self.lock_wait_s:
                self.error = self._lock_error()
                raise self.error
            time.sleep(self.RETRY_S)
        self.error = None

    def _write(self, wait_ms: int) -> bool:
        """One attempt; True when the buffer is committed (or empty)."""
        units, calls = self._units, self._calls
        try:
            duplicates = self.store.try_write_batch(units, calls, wait_ms, self._configs)
        except StoreError as exc:
            self.error = CommitError(
                f"{exc}. {self._pending_note()} Fix the cause, then run the same command "
                "again: everything committed so far is kept."
            )
            self._locked_since = None
            raise self.error from exc
        if duplicates is None:
            if self._locked_since is None:
                self._locked_since = time.monotonic()
                log.warning(
                    "waiting for the database lock on %s (another connection is writing)",
                    self.store.path,
                )
            return False
        if self._locked_since is not None:
            log.warning("got the database lock on %s; committing again", self.store.path)
        self._locked_since = None
        self._units, self._calls, self._configs = [], [], []
        self.committed += sum(1 for u in units if u.error is None)
        self.duplicates += duplicates
        self.flushes += 1
        return True

    def _pending(self) -> bool:
        return bool(self._units or self._calls or self._configs)

    def _lock_waited(self) -> float:
        return 0.0 if self._locked_since is None else time.monotonic() - self._locked_since

    def _pending_note(self) -> str:
        return (
            f"{len(self._units)} finished units and {len(self._calls)} ledger rows were not "
            "stored; the next run does those units again."
        )

    def _lock_error(self) -> CommitError:
        return CommitError(
            f"{self.store.path}: another connection has held the database's write lock for "
            f"over {self.lock_wait_s:.0f} s (a second visinstruct, a sqlite3 shell or a backup "
            f"tool). {self._pending_note()} Stop whatever holds the lock, then run the same "
            "command again (or raise executor.lock_wait_s)."
        )
