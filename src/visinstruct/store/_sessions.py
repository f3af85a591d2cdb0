"""Reviewers and their login sessions (the review web app): only hashes of tokens and of
session ids are kept; a removed reviewer's row stays so that their audit trail keeps its
references."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.store._core import StoreCore


class SessionsMixin(StoreCore):
    def add_reviewer(self, name: str, role: str, token_hash: str) -> None:
        """Add a reviewer; only the hash of their token is kept."""
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO reviewers (name, role, token_hash, created_at) VALUES (?,?,?,?)",
                    (name, role, token_hash, time.time()),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"a reviewer named {name!r} already exists in {self.path}; choose another name"
            ) from exc

    def reviewer_by_token(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of the (not removed) reviewer whose token hashes to ``token_hash``."""
        row = self._db.execute(
            "SELECT name, role FROM reviewers WHERE token_hash = ? AND removed_at IS NULL",
            (token_hash,),
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def _active_reviewer(self, db: sqlite3.Connection, name: str) -> None:
        row = db.execute(
            "SELECT 1 FROM reviewers WHERE name = ? AND removed_at IS NULL", (name,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no active reviewer named {name!r} in {self.path}")

    def remove_reviewer(self, name: str) -> int:
        """Remove a reviewer (their audit trail stays) and end their sessions; returns how
        many sessions were ended. The token can never log in again."""
        with self.transaction() as db:
            self._active_reviewer(db, name)
            db.execute(
                "UPDATE reviewers SET removed_at = ?, token_hash = 'removed:' || name "
                "WHERE name = ?",
                (time.time(), name),
            )
            return db.execute("DELETE FROM review_sessions WHERE reviewer = ?", (name,)).rowcount

    def replace_reviewer_token(self, name: str, token_hash: str) -> int:
        """Give a reviewer a new token hash and end their sessions (how many: returned)."""
        with self.transaction() as db:
            self._active_reviewer(db, name)
            db.execute("UPDATE reviewers SET token_hash = ? WHERE name = ?", (token_hash, name))
            return db.execute("DELETE FROM review_sessions WHERE reviewer = ?", (name,)).rowcount

    def reviewers(self) -> list[dict[str, Any]]:
        """Every active reviewer with their number of actions and seconds spent."""
        rows = self._db.execute(
            "SELECT r.name, r.role, r.created_at, COUNT(e.id) AS actions, "
            "COALESCE(SUM(e.seconds), 0) AS seconds FROM reviewers r "
            "LEFT JOIN review_events e ON e.reviewer = r.name WHERE r.removed_at IS NULL "
            "GROUP BY r.name ORDER BY r.name"
        )
        return [dict(r) for r in rows]

    def create_session(self, id_hash: str, reviewer: str, csrf: str) -> None:
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO review_sessions VALUES (?,?,?,?,?)",
                (id_hash, reviewer, csrf, now, now),
            )

    def session(self, id_hash: str) -> tuple[str, str, str, float, float] | None:
        """(reviewer, role, csrf, created_at, seen_at) of a session of an active reviewer."""
        row = self._db.execute(
            "SELECT r.name, r.role, s.csrf, s.created_at, s.seen_at FROM review_sessions s "
            "JOIN reviewers r ON r.name = s.reviewer WHERE s.id_hash = ? "
            "AND r.removed_at IS NULL",
            (id_hash,),
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), str(row[1]), str(row[2]), float(row[3]), float(row[4])

    def touch_session(self, id_hash: str, now: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE review_sessions SET seen_at = ? WHERE id_hash = ?", (now, id_hash))

    def end_session(self, id_hash: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM review_sessions WHERE id_hash = ?", (id_hash,))

    def end_stale_sessions(self, created_before: float, seen_before: float) -> int:
        with self.transaction() as db:
            return db.execute(
                "DELETE FROM review_sessions WHERE created_at < ? OR seen_at < ?",
                (created_before, seen_before),
            ).rowcount
