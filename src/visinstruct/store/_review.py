"""Reviewers, their sessions, review events, queues and sampling plans (the review web app).

Every review action is checked against the revision it was made on, inside the write
transaction (``BEGIN IMMEDIATE`` holds the database's write lock, so the check and the write
are one step even with several server processes): a save made on an older revision is refused,
never applied over the newer one. A revision is the instruction's current revision in
``store._revisions`` (:func:`revision_token`): every save makes a new one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.records import Instruction
from visinstruct.store._core import StoreCore
from visinstruct.store._revisions import add_revision
from visinstruct.store._rows import (
    _ANY_FAILED_CHECK,
    _json,
    _marks,
    instruction_from_row,
    live_condition,
)
from visinstruct.store._types import ReviewFilter

_REVIEW_STATES = ("unreviewed", "accepted", "edited", "rejected", "flagged")
# Matches the partial index ``review_failed`` (migration 0008) term for term, so SQLite can use
# it; json_each then confirms, so a "passed": false nested in a check's details never counts.
_MAYBE_FAILED = (
    "(instr(i.checks, '\"passed\": false') > 0 OR instr(i.checks, '\"passed\":false') > 0)"
)
_MODEL = "json_extract(i.provenance, '$.model')"
_SNAPSHOT_COLUMNS = "i.question, i.choices, i.answer, i.review_status"


def revision_token(revision: int) -> str:
    """The revision token a page shows and a save presents: the id of the instruction's
    current revision (``store._revisions``; 0 for the content as generated)."""
    return str(revision)


def _snapshot_of(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "question": row["question"],
        "choices": json.loads(row["choices"]),
        "answer": row["answer"],
        "review_status": row["review_status"],
    }


def review_where(f: ReviewFilter) -> tuple[str, list[Any]]:
    """WHERE clause (over ``instructions i``) for a review queue filter; every term is one an
    index of migration 0008 serves. Queues hold the live dataset only (imported
    instructions included): what a reviewer decides on is what ships."""
    clauses, args = [live_condition(include_imports=True)], list[Any]()
    for column in ("domain", "kind", "language"):
        value = getattr(f, column)
        if value:
            clauses.append(f"i.{column} = ?")
            args.append(value)
    if f.status:
        clauses.append("i.review_status = ?")
        args.append(f.status)
    if f.model:
        clauses.append(f"{_MODEL} = ?")
        args.append(f.model)
    if f.check == "failed":
        clauses.append(f"{_MAYBE_FAILED} AND {_ANY_FAILED_CHECK}")
    elif f.check:
        clauses.append(f"{_MAYBE_FAILED} AND json_type(i.checks, ?) = 'false'")
        args.append('$."' + f.check.replace('"', "") + '".passed')
    if f.plan in ("flagged", "sample"):
        clauses.append("i.id IN (SELECT instruction_id FROM review_sample WHERE reason = ?)")
        args.append(f.plan)
    elif f.plan == "plan":
        clauses.append("i.id IN (SELECT instruction_id FROM review_sample)")
    return " AND ".join(clauses), args


class ReviewMixin(StoreCore):
    # -- revisions ----------------------------------------------------------------------------

    def current_revisions(self, instruction_ids: Sequence[str]) -> dict[str, str]:
        """The current revision token of each of these instructions."""
        rows = self._db.execute(
            "SELECT i.id, i.revision FROM current_instructions i "
            f"WHERE i.id IN ({_marks(instruction_ids)})",
            list(instruction_ids),
        )
        return {str(r[0]): revision_token(int(r[1])) for r in rows}

    def current_revision(self, instruction_id: str) -> str | None:
        """The revision token a save on this instruction must present (None: no such id)."""
        return self.current_revisions([instruction_id]).get(instruction_id)

    def _state_in(self, db: sqlite3.Connection, instruction_id: str) -> tuple[sqlite3.Row, str]:
        row = db.execute(
            f"SELECT i.image_id, {_SNAPSHOT_COLUMNS}, i.revision "
            "FROM current_instructions i WHERE i.id = ?",
            (instruction_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no instruction with id {instruction_id!r}")
        return row, revision_token(int(row["revision"]))

    def _repeat_of_last(
        self, db: sqlite3.Connection, instruction_id: str, reviewer: str, action: str,
        revision: str, after: dict[str, Any] | None,
    ) -> bool:  # fmt: skip
        """Whether the latest event is this very action, made on ``revision``: a repeat
        (a double key press) that must change nothing."""
        last = db.execute(
            "SELECT reviewer, action, revision, after FROM review_events "
            "WHERE instruction_id = ? ORDER BY id DESC LIMIT 1",
            (instruction_id,),
        ).fetchone()
        return (
            last is not None
            and (last["reviewer"], last["action"], last["revision"]) == (reviewer, action, revision)
            and (after is None or json.loads(last["after"]) == after)
        )

    def _decision_in(self, db: sqlite3.Connection, instruction_id: str, reviewer: str) -> Any:
        row = db.execute(
            "SELECT status FROM review_decisions WHERE instruction_id = ? AND reviewer = ?",
            (instruction_id, reviewer),
        ).fetchone()
        return None if row is None else str(row[0])

    def _write_event(
        self, db: sqlite3.Connection, instruction_id: str, image_id: str, reviewer: str,
        action: str, reason: str | None, snapshots: tuple[dict[str, Any], dict[str, Any]],
        seconds: float, revision: str, undoes: int | None = None,
    ) -> None:  # fmt: skip
        """A new revision of the instruction (its content and status; the generated row and
        earlier revisions stay), the audit event and the reviewer's decision (removed when an
        undo takes it back to none)."""
        after, now = snapshots[1], time.time()
        prior = self._decision_in(db, instruction_id, reviewer)
        add_revision(
            db, instruction_id, author=f"reviewer:{reviewer}", action=action, reason=reason,
            changes={k: after[k] for k in ("question", "choices", "answer", "review_status")},
        )  # fmt: skip
        db.execute(
            "INSERT INTO review_events (instruction_id, image_id, reviewer, action, status, "
            "reason, before, after, seconds, created_at, revision, prior_decision, undoes) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (instruction_id, image_id, reviewer, action, after["review_status"], reason,
             _json(snapshots[0]), _json(after), seconds, now, revision, prior, undoes),
        )  # fmt: skip
        decision = after["review_status"]
        if undoes is not None:
            undone = db.execute("SELECT prior_decision FROM review_events WHERE id = ?", (undoes,))
            decision = undone.fetchone()[0]
        if decision is None:
            db.execute(
                "DELETE FROM review_decisions WHERE instruction_id = ? AND reviewer = ?",
                (instruction_id, reviewer),
            )
            return
        db.execute(
            "INSERT INTO review_decisions VALUES (?,?,?,?) ON CONFLICT(instruction_id, "
            "reviewer) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
            (instruction_id, reviewer, decision, now),
        )

    def record_review(
        self, after: Instruction, reviewer: str, action: str, reason: str | None,
        snapshots: tuple[dict[str, Any], dict[str, Any]], seconds: float,
        revision: str | None = None,
    ) -> tuple[str, str]:  # fmt: skip
        """Apply one review action atomically if ``revision`` (None: whatever is current) is
        still the instruction's. Returns (outcome, revision now): ``saved``; ``stale`` (made
        on an older revision: nothing written); ``repeat`` (the same reviewer's same action
        on the same revision was just saved: nothing written); ``unchanged`` (the reviewer's
        decision already says this and the content is the same: nothing written)."""
        with self.transaction() as db:
            row, current = self._state_in(db, after.id)
            if revision is not None and revision != current:
                repeat = self._repeat_of_last(
                    db, after.id, reviewer, action, revision, snapshots[1]
                )
                return ("repeat" if repeat else "stale"), current
            before = _snapshot_of(row)
            mine = self._decision_in(db, after.id, reviewer)
            if before == snapshots[1] and mine == after.review_status:
                return "unchanged", current
            self._write_event(
                db, after.id, row["image_id"], reviewer, action, reason, (before, snapshots[1]),
                seconds, current,
            )  # fmt: skip
            return "saved", self._state_in(db, after.id)[1]

    def undo_review(
        self, instruction_id: str, reviewer: str, revision: str, seconds: float
    ) -> tuple[str, str]:
        """Take back the latest action on an instruction, if it is ``reviewer``'s: a new event
        that restores the content and status before it (the undone event stays). Outcomes as
        :meth:`record_review`, plus ``nothing`` (the latest action is not theirs to undo)."""
        with self.transaction() as db:
            row, current = self._state_in(db, instruction_id)
            if revision != current:
                repeat = self._repeat_of_last(db, instruction_id, reviewer, "undo", revision, None)
                return ("repeat" if repeat else "stale"), current
            last = db.execute(
                "SELECT id, reviewer, action, before FROM review_events "
                "WHERE instruction_id = ? ORDER BY id DESC LIMIT 1",
                (instruction_id,),
            ).fetchone()
            if last is None or last["reviewer"] != reviewer or last["action"] == "undo":
                return "nothing", current
            snapshots = (_snapshot_of(row), json.loads(last["before"]))
            self._write_event(
                db, instruction_id, row["image_id"], reviewer, "undo", None, snapshots, seconds,
                current, undoes=int(last["id"]),
            )  # fmt: skip
            return "saved", self._state_in(db, instruction_id)[1]

    # -- queues -------------------------------------------------------------------------------

    def review_queue(self, f: ReviewFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        """One row per image with a matching instruction, in image id order: counts by status
        and how many of its matching instructions are in the sampling plan (and why)."""
        where, args = review_where(f)
        # The page's image ids first (an index walk), then counts for those images only: a
        # deep page does not aggregate every image before it. CROSS JOIN keeps the page as
        # the outer loop (SQLite's planner otherwise may scan every matching row).
        rows = self._db.execute(
            f"WITH page AS (SELECT DISTINCT i.image_id FROM instructions i WHERE {where} "
            "ORDER BY i.image_id LIMIT ? OFFSET ?) "
            "SELECT i.image_id, MIN(i.domain) AS domain, COUNT(*) AS n, "
            + ", ".join(f"SUM(i.review_status = '{s}') AS {s}" for s in _REVIEW_STATES)
            + f", SUM({_MAYBE_FAILED} AND {_ANY_FAILED_CHECK}) AS failed, "
            "COUNT(s.reason) AS planned, COALESCE(SUM(s.reason = 'sample'), 0) AS sampled "
            "FROM page CROSS JOIN instructions i ON i.image_id = page.image_id "
            "LEFT JOIN review_sample s ON s.instruction_id = i.id "
            f"WHERE {where} GROUP BY i.image_id ORDER BY i.image_id",
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

    def review_status_totals(self, f: ReviewFilter) -> dict[str, int]:
        """Instructions per review status matching a filter (every status, zeros included)."""
        where, args = review_where(f)
        if f.check:  # GROUP BY would walk the status index and parse every row's checks;
            # sums let SQLite start from the partial index of failed rows (60 ms → 2 ms)
            row = self._db.execute(
                "SELECT "
                + ", ".join(f"COALESCE(SUM(i.review_status = '{s}'), 0)" for s in _REVIEW_STATES)
                + f" FROM instructions i WHERE {where}",
                args,
            ).fetchone()
            return dict(zip(_REVIEW_STATES, map(int, row), strict=True))
        rows = self._db.execute(
            f"SELECT i.review_status, COUNT(*) FROM instructions i WHERE {where} GROUP BY 1", args
        )
        return {s: 0 for s in _REVIEW_STATES} | {str(r[0]): int(r[1]) for r in rows}

    def reviewer_pace(self, reviewer: str, since: float) -> int:
        """How many decisions (undos not counted) ``reviewer`` made since ``since``."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM review_events WHERE reviewer = ? AND created_at >= ? "
            "AND action != 'undo'",
            (reviewer, since),
        ).fetchone()
        return int(row[0])

    def review_neighbour(self, image_id: str, f: ReviewFilter, *, forward: bool) -> str | None:
        """The next (or previous) image of the queue after ``image_id``, in image id order."""
        where, args = review_where(f)
        pick, cmp = ("MIN", ">") if forward else ("MAX", "<")
        row = self._db.execute(
            f"SELECT {pick}(i.image_id) FROM instructions i WHERE i.image_id {cmp} ? AND {where}",
            [image_id, *args],
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def review_position(self, image_id: str, f: ReviewFilter) -> int:
        """How many queue images come before ``image_id`` (its 0-based place in the queue)."""
        where, args = review_where(f)
        row = self._db.execute(
            f"SELECT COUNT(DISTINCT i.image_id) FROM instructions i WHERE i.image_id < ? "
            f"AND {where}",
            [image_id, *args],
        ).fetchone()
        return int(row[0])

    def queue_members(self, image_id: str, f: ReviewFilter) -> set[str]:
        """The ids of ``image_id``'s instructions that the queue ``f`` holds."""
        where, args = review_where(f)
        rows = self._db.execute(
            f"SELECT i.id FROM instructions i WHERE i.image_id = ? AND {where}", [image_id, *args]
        )
        return {str(r[0]) for r in rows}

    def plan_reasons(self, instruction_ids: Sequence[str]) -> dict[str, str]:
        """Why each of these instructions is in the sampling plan (``flagged``/``sample``)."""
        rows = self._db.execute(
            "SELECT instruction_id, reason FROM review_sample "
            f"WHERE instruction_id IN ({_marks(instruction_ids)})",
            list(instruction_ids),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def image_instructions(self, image_id: str) -> list[Instruction]:
        rows = self._db.execute(
            "SELECT * FROM current_instructions WHERE image_id = ? ORDER BY kind, language, id",
            (image_id,),
        )
        return [instruction_from_row(r) for r in rows]

    def instruction(self, instruction_id: str) -> Instruction | None:
        row = self._db.execute(
            "SELECT * FROM current_instructions WHERE id = ?", (instruction_id,)
        ).fetchone()
        return None if row is None else instruction_from_row(row)

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
