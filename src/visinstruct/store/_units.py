"""Work units and their results: what is done, failed or pending, captions, instructions."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.records import (
    Caption,
    Instruction,
    ModelCall,
    Record,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import (
    _json,
    calls_in,
    complete_in,
    fail_in,
    instruction_from_row,
    scoped,
)
from visinstruct.store._types import (
    DatasetScope,
    Head,
    UnitCounts,
    UnitWrite,
)


class UnitsMixin(StoreCore):
    def remember_stage_config(self, stage: str, config_hash: str, settings: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO stage_configs VALUES (?,?,?,?)",
            (stage, config_hash, _json(settings), time.time()),
        )

    def unit_states(self, stage: str, config_hash: str) -> dict[str, tuple[str, int]]:
        """unit key → (status, attempts) for every unit of this stage setting seen so far."""
        rows = self._db.execute(
            "SELECT unit_key, status, attempts FROM work_units WHERE stage = ? AND config_hash = ?",
            (stage, config_hash),
        )
        return {r[0]: (r[1], int(r[2])) for r in rows}

    def unit_states_for(
        self, stage: str, config_hash: str, keys: Sequence[str]
    ) -> dict[str, tuple[str, int]]:
        """unit key → (status, attempts) for those of ``keys`` seen so far: a plan asks for
        one slice of its candidates at a time, so a million units never sit in one dict."""
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                "SELECT unit_key, status, attempts FROM work_units WHERE stage = ? AND "
                f"config_hash = ? AND unit_key IN ({','.join('?' * len(chunk))})",
                (stage, config_hash, *chunk),
            )
            found.update((r[0], (r[1], int(r[2]))) for r in rows)
        return found

    def unit_status(self, stage: str, unit_key: str, config_hash: str) -> str | None:
        """'done', 'failed' or None (never tried) for one unit under one setting."""
        row = self._db.execute(
            "SELECT status FROM work_units WHERE stage = ? AND unit_key = ? AND config_hash = ?",
            (stage, unit_key, config_hash),
        ).fetchone()
        return None if row is None else str(row[0])

    def complete_unit(
        self,
        stage: str,
        unit_key: str,
        config_hash: str,
        results: Sequence[Record],
        head: Head | None = None,
    ) -> int:
        """Commit a unit's results and mark it done, atomically; returns how many results
        were already stored (true duplicates of the same lineage, skipped).

        ``results`` may include :class:`RejectedItem` records: the parts of a reply the stage
        could not use, kept with their reason (a rerun of the unit replaces them).
        """
        with self.transaction() as db:
            return complete_in(db, stage, unit_key, config_hash, results, head)

    def fail_unit(
        self,
        stage: str,
        unit_key: str,
        config_hash: str,
        error: str,
        raw: str | None,
        attempts: int,
    ) -> None:
        """Record a failed attempt; the raw reply is kept for inspection, never used as data."""
        with self.transaction() as db:
            fail_in(db, stage, unit_key, config_hash, error, raw, attempts)

    def write_batch(
        self,
        writes: Sequence[UnitWrite],
        calls: Sequence[ModelCall],
        configs: Sequence[tuple[str, str, dict[str, Any]]] = (),
    ) -> int:
        """Commit many units' outcomes and ledger rows in one short transaction; returns how
        many results were true duplicates (skipped).

        Each unit's results and its done mark are in the same transaction, as with
        :meth:`complete_unit`; a crash before the commit loses the whole batch, and those
        units (and their calls) are simply done again by the next run.
        """
        duplicates = 0
        with self.transaction() as db:
            for stage, config_hash, settings in configs:
                db.execute(
                    "INSERT OR IGNORE INTO stage_configs VALUES (?,?,?,?)",
                    (stage, config_hash, _json(settings), time.time()),
                )
            for w in writes:
                if w.error is None:
                    duplicates += complete_in(
                        db, w.stage, w.unit_key, w.config_hash, w.results, w.head
                    )
                else:
                    fail_in(db, w.stage, w.unit_key, w.config_hash, w.error, w.raw, w.attempts)
            if calls:
                calls_in(db, calls)
        return duplicates

    def try_write_batch(
        self,
        writes: Sequence[UnitWrite],
        calls: Sequence[ModelCall],
        wait_ms: int,
        configs: Sequence[tuple[str, str, dict[str, Any]]] = (),
    ) -> int | None:
        """:meth:`write_batch`, waiting at most ``wait_ms`` for the write lock: None (and
        nothing written) when another connection holds it, so an event loop never blocks
        behind a lock for long. Any other failure raises StoreError."""
        self._db.execute(f"PRAGMA busy_timeout = {max(0, int(wait_ms))}")
        try:
            return self.write_batch(writes, calls, configs)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise StoreError(f"{self.path}: could not commit results: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: could not commit results: {exc}") from exc
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")

    def unit_counts(self, stage: str, config_hash: str) -> UnitCounts:
        rows = dict(
            self._db.execute(
                "SELECT status, COUNT(*) FROM work_units WHERE stage = ? AND config_hash = ? "
                "GROUP BY status",
                (stage, config_hash),
            ).fetchall()
        )
        return UnitCounts(done=int(rows.get("done", 0)), failed=int(rows.get("failed", 0)))

    def failures(self, stage: str, config_hash: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT unit_key, attempts, last_error, raw FROM work_units "
            "WHERE stage = ? AND config_hash = ? AND status = 'failed' ORDER BY updated_at LIMIT ?",
            (stage, config_hash, limit),
        )
        return [dict(r) for r in rows]

    def latest_failure(self, stage: str, config_hash: str) -> str | None:
        """The error of the unit that failed last under one setting."""
        row = self._db.execute(
            "SELECT last_error FROM work_units WHERE stage = ? AND config_hash = ? AND "
            "status = 'failed' ORDER BY updated_at DESC LIMIT 1",
            (stage, config_hash),
        ).fetchone()
        return None if row is None else str(row[0])

    def item_rejects(self, stage: str, config_hash: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT unit_key, config_hash, kind, reason, content FROM item_rejects WHERE stage = ?"
        )
        args: list[Any] = [stage]
        if config_hash is not None:
            sql += " AND config_hash = ?"
            args.append(config_hash)
        return [dict(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def captions(self, config_hash: str) -> Iterator[Caption]:
        rows = self._db.execute(
            "SELECT * FROM captions WHERE config_hash = ? ORDER BY image_id", (config_hash,)
        )
        for r in rows:
            yield Caption(
                id=r["id"], image_id=r["image_id"], text=r["text"], language=r["language"],
                model=r["model"], prompt_version=r["prompt_version"],
                config_hash=r["config_hash"], source=r["source"],
            )  # fmt: skip

    def count_captions(self, config_hash: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM captions WHERE config_hash = ?", (config_hash,)
        )
        return int(row.fetchone()[0])

    def instructions(self, scope: DatasetScope) -> Iterator[Instruction]:
        """The instructions of the dataset ``scope`` names, grouped by image in a stable
        order, with their current content."""
        frag, args = scoped(scope)
        sql = f"SELECT i.* {frag} ORDER BY i.image_id, i.kind, i.language, i.id"
        for r in self._db.execute(sql, args):
            yield instruction_from_row(r)

    def instructions_of(self, config_hash: str) -> Iterator[Instruction]:
        """Every instruction one run setting made (current content), in or out of the dataset:
        for inspecting lineage, not for deciding what ships (that is :meth:`instructions`)."""
        rows = self._db.execute(
            "SELECT * FROM current_instructions WHERE config_hash = ? "
            "ORDER BY image_id, kind, language, id",
            (config_hash,),
        )
        for r in rows:
            yield instruction_from_row(r)

    def instruction_index(self, scope: DatasetScope) -> dict[str, tuple[str, tuple[str, ...]]]:
        """image id → (domain, kinds present) over the same scope as :meth:`instructions`:
        what a split needs to stratify images without loading every instruction."""
        frag, args = scoped(scope)
        rows = self._db.execute(
            f"SELECT i.image_id, MIN(i.domain), GROUP_CONCAT(DISTINCT i.kind) {frag} "
            "GROUP BY i.image_id",
            args,
        )
        return {r[0]: (r[1], tuple(sorted(r[2].split(",")))) for r in rows}

    def scope_states(self, scope: DatasetScope) -> Iterator[tuple[str, dict[str, Any]]]:
        """(review status, verdicts) of every instruction in ``scope``: what the export's
        selection decides on, without building whole records. The verdicts are ``{}`` where
        none can have failed."""
        frag, args = scoped(scope)
        for status, checks in self._db.execute(f"SELECT i.review_status, i.checks {frag}", args):
            # verdicts are only read when one can have failed (most rows: none), which keeps a
            # count over a million rows to a scan
            maybe_failed = '"passed": false' in checks or '"passed":false' in checks
            yield str(status), json.loads(checks) if maybe_failed else {}

    def count_scope(self, scope: DatasetScope) -> int:
        frag, args = scoped(scope)
        return int(self._db.execute(f"SELECT COUNT(*) {frag}", args).fetchone()[0])

    def count_instructions(self, config_hash: str | None = None) -> int:
        """Every stored instruction (of one generate setting, when given), in scope or not."""
        if config_hash is None:
            row = self._db.execute("SELECT COUNT(*) FROM instructions")
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM instructions WHERE config_hash = ?", (config_hash,)
            )
        return int(row.fetchone()[0])

    def kind_counts(self, config_hash: str) -> dict[str, int]:
        """kind → instructions stored under one generate setting."""
        rows = self._db.execute(
            "SELECT kind, COUNT(*) FROM instructions WHERE config_hash = ? GROUP BY kind",
            (config_hash,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def reject_reasons(self, stage: str, config_hash: str) -> dict[tuple[str, str], int]:
        """(kind or "", reason) → how many reply items a stage refused under one setting."""
        rows = self._db.execute(
            "SELECT COALESCE(kind, ''), reason, COUNT(*) FROM item_rejects WHERE stage = ? "
            "AND config_hash = ? GROUP BY 1, 2",
            (stage, config_hash),
        )
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}

    # -- what the live dataset is made of ---------------------------------------------------

    def head_settings(self) -> dict[str, int]:
        """generate config hash → how many (image, language) pairs the live dataset takes
        from that setting."""
        rows = self._db.execute(
            "SELECT config_hash, COUNT(*) FROM dataset_heads GROUP BY config_hash"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def head_caption_settings(self) -> dict[str, int]:
        """caption config hash → how many (image, language) pairs of the live dataset were
        generated from a caption of that setting."""
        rows = self._db.execute(
            "SELECT c.config_hash, COUNT(*) FROM dataset_heads h JOIN captions c "
            "ON c.id = h.caption_id GROUP BY c.config_hash"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    # -- pinned versions ------------------------------------------------------------------

    def pin_version(self, name: str, scope: DatasetScope) -> int:
        """Freeze the dataset of ``scope`` under ``name``: its members with their current
        revision, review state and verdicts. Returns the number of instructions pinned."""
        frag, args = scoped(scope)
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO dataset_versions VALUES (?,?,0,?)",
                    (name, int(scope.include_imports), time.time()),
                )
                cursor = db.execute(
                    "INSERT INTO dataset_members SELECT ?, i.id, NULLIF(i.revision, 0), "
                    f"i.review_status, i.checks {frag}",
                    [name, *args],
                )
                count = cursor.rowcount
                db.execute("UPDATE dataset_versions SET instructions = ? WHERE name = ?",
                           (count, name))  # fmt: skip
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"a dataset version named {name!r} already exists in {self.path}; "
                "choose another name (versions are never overwritten)"
            ) from exc
        return int(count)

    def versions(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT name, instructions, include_imports, created_at FROM dataset_versions "
            "ORDER BY created_at"
        )
        return [dict(r) for r in rows]

    def has_version(self, name: str) -> bool:
        row = self._db.execute("SELECT 1 FROM dataset_versions WHERE name = ?", (name,))
        return row.fetchone() is not None
