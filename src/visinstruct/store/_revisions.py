"""Revisions: what happens to an instruction after it is generated, kept beside it.

The generated row is written once. An option reordering, a reviewer's edit or decision, an
undo: each is a revision row (what it changed, who or which check, when, on which revision),
and ``instructions.head`` points at the current one. ``current_instructions`` (a view) reads
the current content; ``review_status`` on the row is the current state, moved in the same
transaction as the head. A change made on a revision that is no longer the head is refused
(:class:`StaleRevisionError`), so two reviewers can never silently overwrite each other.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from visinstruct.errors import StaleRevisionError, StoreError
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import _json, _marks

__all__ = ["RevisionsMixin", "add_revision"]

_FIELDS = ("question", "choices", "answer", "review_status")


def _current(db: sqlite3.Connection, instruction_id: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT question, choices, answer, review_status, revision FROM current_instructions "
        "WHERE id = ?",
        (instruction_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"no instruction with id {instruction_id}")
    return {
        "question": row[0],
        "choices": json.loads(row[1]),
        "answer": row[2],
        "review_status": row[3],
        "revision": int(row[4]),
    }


def add_revision(
    db: sqlite3.Connection,
    instruction_id: str,
    *,
    author: str,
    action: str,
    changes: dict[str, Any],
    reason: str | None = None,
    expected: int | None = None,
) -> int:
    """Make ``changes`` (any of question, choices, answer, review_status) the instruction's
    new current revision and return its id. With ``expected``, the change is refused unless
    the current revision is still that one. Call inside a transaction."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise StoreError(f"a revision cannot change {sorted(unknown)}")
    current = _current(db, instruction_id)
    if expected is not None and current["revision"] != expected:
        raise StaleRevisionError(instruction_id, expected, current["revision"])
    after = {k: changes.get(k, current[k]) for k in _FIELDS}
    cursor = db.execute(
        "INSERT INTO instruction_revisions (instruction_id, parent, author, action, question, "
        "choices, answer, review_status, reason, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            instruction_id, current["revision"] or None, author, action, after["question"],
            _json(after["choices"]), after["answer"], after["review_status"], reason, time.time(),
        ),
    )  # fmt: skip
    revision = int(cursor.lastrowid or 0)
    db.execute(
        "UPDATE instructions SET head = ?, review_status = ? WHERE id = ?",
        (revision, after["review_status"], instruction_id),
    )
    return revision


class RevisionsMixin(StoreCore):
    def revise(
        self,
        instruction_id: str,
        *,
        author: str,
        action: str,
        changes: dict[str, Any],
        reason: str | None = None,
        expected: int | None = None,
    ) -> int:
        """:func:`add_revision` in its own transaction."""
        with self.transaction() as db:
            return add_revision(
                db, instruction_id, author=author, action=action, changes=changes,
                reason=reason, expected=expected,
            )  # fmt: skip

    def revisions(self, instruction_id: str) -> list[dict[str, Any]]:
        """The history of one instruction, oldest first: revision 0 is the row as generated."""
        first = self._db.execute(
            "SELECT question, choices, answer, provenance, created_at FROM instructions "
            "WHERE id = ?",
            (instruction_id,),
        ).fetchone()
        if first is None:
            return []
        history: list[dict[str, Any]] = [
            {
                "revision": 0, "parent": None, "author": "generated", "action": "generate",
                "question": first[0], "choices": json.loads(first[1]), "answer": first[2],
                "review_status": "unreviewed", "reason": None, "created_at": first[4],
            }
        ]  # fmt: skip
        rows = self._db.execute(
            "SELECT id, parent, author, action, question, choices, answer, review_status, "
            "reason, created_at FROM instruction_revisions WHERE instruction_id = ? ORDER BY id",
            (instruction_id,),
        )
        for r in rows:
            entry = dict(r)
            entry["revision"] = entry.pop("id")
            entry["choices"] = json.loads(entry["choices"])
            history.append(entry)
        return history

    def revision_history(self, instruction_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """instruction id → its revisions after the generated one (who, what, why, the status
        it left), oldest first: what the review app shows of an item's history."""
        found: dict[str, list[dict[str, Any]]] = {}
        rows = self._db.execute(
            "SELECT id AS revision, instruction_id, author, action, reason, review_status, "
            f"created_at FROM instruction_revisions WHERE instruction_id IN "
            f"({_marks(instruction_ids)}) ORDER BY id",
            list(instruction_ids),
        )
        for r in rows:
            found.setdefault(str(r["instruction_id"]), []).append(dict(r))
        return found
