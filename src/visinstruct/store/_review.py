"""Reviewers, review events, queues and sampling plans (the review web app)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.records import (
    Instruction,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import (
    _ANY_FAILED_CHECK,
    _json,
    _marks,
    instruction_from_row,
    review_where,
)
from visinstruct.store._types import (
    ReviewFilter,
)

_REVIEW_STATES = ("unreviewed", "accepted", "edited", "rejected", "flagged")


class ReviewMixin(StoreCore):
    def add_reviewer(self, name: str, role: str, token_hash: str) -> None:
        """Add a reviewer; only the hash of their token is kept."""
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO reviewers VALUES (?,?,?,?)", (name, role, token_hash, time.time())
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"a reviewer named {name!r} already exists in {self.path}; choose another name"
            ) from exc

    def reviewer_by_token(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of the reviewer whose token hashes to ``token_hash``."""
        row = self._db.execute(
            "SELECT name, role FROM reviewers WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def reviewers(self) -> list[dict[str, Any]]:
        """Every reviewer with their number of actions and seconds spent."""
        rows = self._db.execute(
            "SELECT r.name, r.role, r.created_at, COUNT(e.id) AS actions, "
            "COALESCE(SUM(e.seconds), 0) AS seconds FROM reviewers r "
            "LEFT JOIN review_events e ON e.reviewer = r.name GROUP BY r.name ORDER BY r.name"
        )
        return [dict(r) for r in rows]

    def review_queue(self, f: ReviewFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        """One row per image with a matching instruction, in image id order: counts by status."""
        where, args = review_where(f)
        # The page's image ids first (an index walk), then counts for those images only: a
        # deep page does not aggregate every image before it. CROSS JOIN keeps the page as
        # the outer loop (SQLite's planner otherwise may scan every matching row).
        rows = self._db.execute(
            f"WITH page AS (SELECT DISTINCT i.image_id FROM instructions i WHERE {where} "
            "ORDER BY i.image_id LIMIT ? OFFSET ?) "
            "SELECT i.image_id, MIN(i.domain) AS domain, COUNT(*) AS n, "
            + ", ".join(f"SUM(i.review_status = '{s}') AS {s}" for s in _REVIEW_STATES)
            + f", SUM({_ANY_FAILED_CHECK}) AS failed FROM page CROSS JOIN instructions i "
            f"ON i.image_id = page.image_id WHERE {where} GROUP BY i.image_id ORDER BY i.image_id",
            [*args, limit, offset, *args],
        )
        return [dict(r) for r in rows]

    def review_queue_size(self, f: ReviewFilter) -> tuple[int, int]:
        """(images, instructions) matching a review queue filter."""
        where, args = review_where(f)
        row = self._db.execute(
            f"SELECT COUNT(DISTINCT i.image_id), COUNT(*) FROM instructions i WHERE {where}", args
        ).fetchone()
        return int(row[0]), int(row[1])

    def review_neighbour(self, image_id: str, f: ReviewFilter, *, forward: bool) -> str | None:
        """The next (or previous) image of the queue after ``image_id``, in image id order."""
        where, args = review_where(f)
        pick, cmp = ("MIN", ">") if forward else ("MAX", "<")
        row = self._db.execute(
            f"SELECT {pick}(i.image_id) FROM instructions i WHERE i.image_id {cmp} ? AND {where}",
            [image_id, *args],
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def image_instructions(self, image_id: str) -> list[Instruction]:
        rows = self._db.execute(
            "SELECT * FROM instructions WHERE image_id = ? ORDER BY kind, language, id",
            (image_id,),
        )
        return [instruction_from_row(r) for r in rows]

    def instruction(self, instruction_id: str) -> Instruction | None:
        row = self._db.execute(
            "SELECT * FROM instructions WHERE id = ?", (instruction_id,)
        ).fetchone()
        return None if row is None else instruction_from_row(row)

    def record_review(
        self, after: Instruction, reviewer: str, action: str, reason: str | None,
        snapshots: tuple[dict[str, Any], dict[str, Any]], seconds: float,
    ) -> int:  # fmt: skip
        """Apply one review action atomically: the instruction row (same id, new status and
        content), the audit event with before/after, and the reviewer's latest decision."""
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "UPDATE instructions SET question = ?, choices = ?, answer = ?, "
                "review_status = ? WHERE id = ?",
                (after.question, _json(after.choices), after.answer, after.review_status,
                 after.id),
            )  # fmt: skip
            cursor = db.execute(
                "INSERT INTO review_events (instruction_id, image_id, reviewer, action, status, "
                "reason, before, after, seconds, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (after.id, after.image_id, reviewer, action, after.review_status, reason,
                 _json(snapshots[0]), _json(snapshots[1]), seconds, now),
            )  # fmt: skip
            db.execute(
                "INSERT INTO review_decisions VALUES (?,?,?,?) ON CONFLICT(instruction_id, "
                "reviewer) DO UPDATE SET status = excluded.status, "
                "updated_at = excluded.updated_at",
                (after.id, reviewer, after.review_status, now),
            )
        return int(cursor.lastrowid or 0)

    def review_events(
        self, *, instruction_id: str | None = None, reviewer: str | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The audit trail, newest first, with before/after decoded."""
        clauses, args = ["1"], list[Any]()
        if instruction_id is not None:
            clauses.append("instruction_id = ?")
            args.append(instruction_id)
        if reviewer is not None:
            clauses.append("reviewer = ?")
            args.append(reviewer)
        rows = self._db.execute(
            f"SELECT * FROM review_events WHERE {' AND '.join(clauses)} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        events = [dict(r) for r in rows]
        for event in events:
            event["before"] = json.loads(event["before"])
            event["after"] = json.loads(event["after"])
        return events

    def shared_decisions(self) -> list[tuple[str, str, str]]:
        """(instruction id, reviewer, status) for every instruction two or more reviewers
        decided, in instruction order: what reviewer agreement is computed from."""
        rows = self._db.execute(
            "SELECT instruction_id, reviewer, status FROM review_decisions WHERE instruction_id "
            "IN (SELECT instruction_id FROM review_decisions GROUP BY instruction_id "
            "HAVING COUNT(*) > 1) ORDER BY instruction_id, reviewer"
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def review_seconds(self) -> float:
        row = self._db.execute("SELECT COALESCE(SUM(seconds), 0) FROM review_events")
        return float(row.fetchone()[0])

    def review_status_counts(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT review_status, COUNT(*) FROM instructions GROUP BY review_status"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def count_kept(self, statuses: Sequence[str], drop_failed_checks: bool) -> int:
        """Instructions with one of ``statuses`` (and, if asked, no failed check)."""
        sql = f"SELECT COUNT(*) FROM instructions i WHERE i.review_status IN ({_marks(statuses)})"
        if drop_failed_checks:
            sql += f" AND NOT {_ANY_FAILED_CHECK}"
        return int(self._db.execute(sql, list(statuses)).fetchone()[0])

    def review_facets(self) -> dict[str, list[str]]:
        """The domains, models and check names present: the choices of the queue filters."""
        db = self._db
        domains = db.execute("SELECT DISTINCT domain FROM instructions ORDER BY 1")
        models = db.execute(
            "SELECT DISTINCT json_extract(provenance, '$.model') FROM instructions ORDER BY 1"
        )
        checks = db.execute(
            "SELECT DISTINCT c.key FROM instructions i, json_each(i.checks) c "
            "WHERE i.checks != '{}' ORDER BY 1"
        )
        return {
            "domain": [str(r[0]) for r in domains],
            "model": [str(r[0]) for r in models if r[0] is not None],
            "check": [str(r[0]) for r in checks],
        }

    def review_strata(self) -> list[tuple[str, str, bool]]:
        """(instruction id, stratum, flagged) for every instruction: what a sampling plan
        draws from. Flagged: a failed check, or flagged by a reviewer."""
        rows = self._db.execute(
            "SELECT i.id, i.domain || '/' || i.kind || '/' || i.language, "
            f"(i.review_status = 'flagged' OR {_ANY_FAILED_CHECK}) FROM instructions i"
        )
        return [(str(r[0]), str(r[1]), bool(r[2])) for r in rows]

    def iter_review_strata(self) -> Iterator[tuple[str, str, bool]]:
        """:meth:`review_strata`, streamed from the cursor (a sampling plan reads it twice
        rather than holding every instruction id)."""
        rows = self._db.execute(
            "SELECT i.id, i.domain || '/' || i.kind || '/' || i.language, "
            f"(i.review_status = 'flagged' OR {_ANY_FAILED_CHECK}) FROM instructions i"
        )
        for r in rows:
            yield str(r[0]), str(r[1]), bool(r[2])

    def replace_review_sample(self, rows: Sequence[tuple[str, str, str, int]]) -> None:
        """Replace the sampling plan: (instruction id, stratum, reason, stratum size) rows."""
        now = time.time()
        with self.transaction() as db:
            db.execute("DELETE FROM review_sample")
            db.executemany(
                "INSERT INTO review_sample VALUES (?,?,?,?,?)", [(*r, now) for r in rows]
            )

    def review_sample_outcomes(self) -> list[tuple[str, str, str, int, str]]:
        """(instruction id, stratum, reason, stratum size, current review status) of every
        planned item."""
        rows = self._db.execute(
            "SELECT s.instruction_id, s.stratum, s.reason, s.stratum_size, i.review_status "
            "FROM review_sample s JOIN instructions i ON i.id = s.instruction_id "
            "ORDER BY s.instruction_id"
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]

    def review_decisions(self, instruction_ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """(instruction id, reviewer, status): every reviewer's latest decision on these."""
        rows = self._db.execute(
            "SELECT instruction_id, reviewer, status FROM review_decisions "
            f"WHERE instruction_id IN ({_marks(instruction_ids)}) ORDER BY reviewer",
            list(instruction_ids),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def review_position(self, image_id: str, f: ReviewFilter) -> int:
        """How many queue images come before ``image_id`` (its 0-based place in the queue)."""
        where, args = review_where(f)
        row = self._db.execute(
            f"SELECT COUNT(DISTINCT i.image_id) FROM instructions i WHERE i.image_id < ? "
            f"AND {where}",
            [image_id, *args],
        ).fetchone()
        return int(row[0])
