"""Verification verdicts and the queries the verify stage runs.

A verdict lives twice: as a row of ``instruction_checks`` (indexed, for "what is flagged")
and under ``instructions.checks[name]`` (what exports and the review app read). Both are
written in the same transaction. The convention for every reader: an instruction is flagged
when any ``checks[*].passed`` is False.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from visinstruct.records import (
    CheckResult,
    Instruction,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._revisions import add_revision
from visinstruct.store._rows import (
    _json,
    instruction_from_row,
    scoped,
    write_checks,
)
from visinstruct.store._types import DatasetScope


class VerifyMixin(StoreCore):
    def set_checks(self, results: Sequence[CheckResult]) -> None:
        """Record verdicts (replacing earlier ones of the same check), atomically."""
        if results:
            with self.transaction() as db:
                write_checks(db, results)

    def remove_checks(self, instruction_id: str, names: Sequence[str]) -> None:
        """Forget verdicts that no longer apply (e.g. a local check that was switched off)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM instruction_checks WHERE instruction_id = ? AND name = ?",
                [(instruction_id, n) for n in names],
            )
            db.executemany(
                "INSERT INTO check_history (instruction_id, name, passed, score, reason, "
                "details, created_at) VALUES (?,?,NULL,NULL,'removed','{}',?)",
                [(instruction_id, n, time.time()) for n in names],
            )
            row = db.execute("SELECT checks FROM instructions WHERE id = ?", (instruction_id,))
            found = row.fetchone()
            if found is not None:
                checks = {k: v for k, v in json.loads(found[0]).items() if k not in names}
                db.execute(
                    "UPDATE instructions SET checks = ? WHERE id = ?",
                    (_json(checks), instruction_id),
                )

    def remap_choices(
        self, instruction_id: str, choices: Sequence[str], answer: str, record: CheckResult
    ) -> None:
        """Reorder a multiple-choice instruction's options (``answer`` is the new letter) and
        record how, in one transaction: a revision beside the generated row, which stays."""
        with self.transaction() as db:
            add_revision(
                db, instruction_id, author=f"check:{record.name}", action="reorder",
                changes={"choices": list(choices), "answer": answer},
            )  # fmt: skip
            write_checks(db, [record])

    def check_history(self, instruction_id: str) -> list[dict[str, Any]]:
        """Every verdict change on one instruction, oldest first (``removed``: forgotten)."""
        rows = self._db.execute(
            "SELECT name, passed, score, reason, details, created_at FROM check_history "
            "WHERE instruction_id = ? ORDER BY id",
            (instruction_id,),
        )
        return [dict(r) for r in rows]

    def instructions_by_id(self, ids: Sequence[str]) -> list[Instruction]:
        """The instructions with these ids (those that exist), in id order."""
        found: list[Instruction] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self._db.execute(
                f"SELECT * FROM current_instructions WHERE id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY id",
                chunk,
            )
            found += [instruction_from_row(r) for r in rows]
        return found

    def scope_image_ids(self, scope: DatasetScope) -> list[str]:
        """The images that have instructions in ``scope``."""
        frag, args = scoped(scope)
        rows = self._db.execute(f"SELECT DISTINCT i.image_id {frag} ORDER BY i.image_id", args)
        return [str(r[0]) for r in rows]

    def scoped_image_instructions(
        self, image_ids: Sequence[str], scope: DatasetScope
    ) -> dict[str, list[Instruction]]:
        """image id → its instructions in ``scope``, for a batch of images (one query per
        batch keeps a pass over a million instructions short)."""
        frag, args = scoped(scope)
        found: dict[str, list[Instruction]] = {image_id: [] for image_id in image_ids}
        rows = self._db.execute(
            f"SELECT i.* {frag} AND i.image_id IN ({','.join('?' * len(image_ids)) or 'NULL'}) "
            "ORDER BY i.image_id, i.kind, i.language, i.id",
            [*args, *image_ids],
        )
        for r in rows:
            found[r["image_id"]].append(instruction_from_row(r))
        return found

    def caption_texts(self, image_id: str, caption_id: str | None) -> list[str]:
        """Caption texts of an image, the one named ``caption_id`` first (when it exists)."""
        rows = self._db.execute(
            "SELECT text FROM captions WHERE image_id = ? ORDER BY (id = ?) DESC, created_at",
            (image_id, caption_id or ""),
        )
        return [str(r[0]) for r in rows]

    def _unflagged(
        self,
        scope: DatasetScope,
        failed_checks: Sequence[str],
        kinds: Sequence[str] | None = None,
    ) -> tuple[str, list[Any]]:
        frag, args = scoped(scope)
        if kinds is not None:
            frag += f" AND i.kind IN ({','.join('?' * len(kinds)) or 'NULL'})"
            args = [*args, *kinds]
        if failed_checks:
            frag += (
                " AND NOT EXISTS (SELECT 1 FROM instruction_checks c WHERE "
                "c.instruction_id = i.id AND c.passed = 0 AND c.name IN "
                f"({','.join('?' * len(failed_checks))}))"
            )
            args = [*args, *failed_checks]
        return frag, args

    def unflagged_page(
        self,
        scope: DatasetScope,
        *,
        failed_checks: Sequence[str],
        after_id: str,
        limit: int,
        kinds: Sequence[str] | None = None,
    ) -> list[Instruction]:
        """Up to ``limit`` instructions in scope (of ``kinds``), ids after ``after_id``, that
        none of ``failed_checks`` flagged. Pages are finished queries, so commits made while a
        caller walks them cannot disturb the walk."""
        frag, args = self._unflagged(scope, failed_checks, kinds)
        rows = self._db.execute(
            f"SELECT i.* {frag} AND i.id > ? ORDER BY i.id LIMIT ?",
            [*args, after_id, limit],
        ).fetchall()
        return [instruction_from_row(r) for r in rows]

    def count_unflagged(
        self,
        scope: DatasetScope,
        *,
        failed_checks: Sequence[str],
        kinds: Sequence[str] | None = None,
    ) -> int:
        frag, args = self._unflagged(scope, failed_checks, kinds)
        return int(self._db.execute(f"SELECT COUNT(*) {frag}", args).fetchone()[0])

    def flagged_instructions(
        self,
        scope: DatasetScope | None = None,
        *,
        check: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instruction]:
        """Instructions a verification check failed (``check``: only that one), in image
        order: the review queue's "needs a human" filter. Without ``scope`` every
        instruction in the project is considered."""
        if scope is None:
            frag, args = "FROM current_instructions i WHERE 1", list[Any]()
        else:
            frag, args = scoped(scope)
        failed = "c.instruction_id = i.id AND c.passed = 0"
        if check is not None:
            failed += " AND c.name = ?"
            args = [*args, check]
        rows = self._db.execute(
            f"SELECT i.* {frag} AND EXISTS (SELECT 1 FROM instruction_checks c WHERE {failed}) "
            "ORDER BY i.image_id, i.kind, i.language, i.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [instruction_from_row(r) for r in rows]
