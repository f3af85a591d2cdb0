"""Work units and their results: what is done, failed or pending, captions, instructions."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from visinstruct.records import (
    Caption,
    Instruction,
    ModelCall,
    Provenance,
    Record,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import (
    _json,
    calls_in,
    complete_in,
    fail_in,
    scope,
)
from visinstruct.store._types import (
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
        self, stage: str, unit_key: str, config_hash: str, results: Sequence[Record]
    ) -> None:
        """Commit a unit's results and mark it done, atomically.

        ``results`` may include :class:`RejectedItem` records: the parts of a reply the stage
        could not use, kept with their reason (a rerun of the unit replaces them).
        """
        with self.transaction() as db:
            complete_in(db, stage, unit_key, config_hash, results)

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

    def write_batch(self, writes: Sequence[UnitWrite], calls: Sequence[ModelCall]) -> None:
        """Commit many units' outcomes and ledger rows in one short transaction.

        Each unit's results and its done mark are in the same transaction, as with
        :meth:`complete_unit`; a crash before the commit loses the whole batch, and those
        units (and their calls) are simply done again by the next run.
        """
        with self.transaction() as db:
            for w in writes:
                if w.error is None:
                    complete_in(db, w.stage, w.unit_key, w.config_hash, w.results)
                else:
                    fail_in(db, w.stage, w.unit_key, w.config_hash, w.error, w.raw, w.attempts)
            if calls:
                calls_in(db, calls)

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

    def instructions(
        self,
        config_hash: str | None,
        caption_hash: str | None = None,
        *,
        include_imports: bool = False,
    ) -> Iterator[Instruction]:
        """Instructions made under a generate setting from captions of a caption setting
        (and, when asked, every imported one), grouped by image in a stable order."""
        where, args = scope(config_hash, caption_hash, include_imports)
        sql = f"SELECT i.* FROM instructions i WHERE {where}"
        for r in self._db.execute(sql + " ORDER BY i.image_id, i.kind, i.language, i.id", args):
            yield Instruction(
                id=r["id"], image_id=r["image_id"], domain=r["domain"], kind=r["kind"],
                language=r["language"], question=r["question"], choices=json.loads(r["choices"]),
                answer=r["answer"], provenance=Provenance.model_validate_json(r["provenance"]),
                checks=json.loads(r["checks"]), review_status=r["review_status"],
            )  # fmt: skip

    def instruction_index(
        self,
        config_hash: str | None,
        caption_hash: str | None = None,
        *,
        include_imports: bool = False,
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """image id → (domain, kinds present) over the same scope as :meth:`instructions`:
        what a split needs to stratify images without loading every instruction."""
        where, args = scope(config_hash, caption_hash, include_imports)
        rows = self._db.execute(
            "SELECT i.image_id, MIN(i.domain), GROUP_CONCAT(DISTINCT i.kind) "
            f"FROM instructions i WHERE {where} GROUP BY i.image_id",
            args,
        )
        return {r[0]: (r[1], tuple(sorted(r[2].split(",")))) for r in rows}

    def count_instructions(self, config_hash: str | None = None) -> int:
        if config_hash is None:
            row = self._db.execute("SELECT COUNT(*) FROM instructions")
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM instructions WHERE config_hash = ?", (config_hash,)
            )
        return int(row.fetchone()[0])
