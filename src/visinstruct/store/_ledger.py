"""The call ledger and the Batch API journal."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from visinstruct.records import (
    ModelCall,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import (
    calls_in,
)
from visinstruct.store._types import (
    BatchRequestState,
    CallTotals,
)


class LedgerMixin(StoreCore):
    def add_calls(self, calls: Iterable[ModelCall]) -> None:
        with self.transaction() as db:
            calls_in(db, calls)

    def call_totals(self, stage: str | None = None) -> CallTotals:
        sql = (
            "SELECT COUNT(*), SUM(outcome='ok'), SUM(outcome='retry'), "
            "SUM(outcome IN ('error','fatal')), COALESCE(SUM(input_tokens),0), "
            "COALESCE(SUM(output_tokens),0), COALESCE(SUM(image_tokens),0), "
            "COALESCE(SUM(cost_usd),0) FROM calls"
        )
        args: tuple[str, ...] = ()
        if stage is not None:
            sql += " WHERE stage = ?"
            args = (stage,)
        r = self._db.execute(sql, args).fetchone()
        return CallTotals(
            calls=int(r[0]), ok=int(r[1] or 0), retries=int(r[2] or 0), errors=int(r[3] or 0),
            input_tokens=int(r[4]), output_tokens=int(r[5]), image_tokens=int(r[6]),
            cost_usd=float(r[7]),
        )  # fmt: skip

    def calls(self, stage: str | None = None) -> list[ModelCall]:
        fields = ", ".join(ModelCall.model_fields)
        sql = f"SELECT {fields} FROM calls" + (" WHERE stage = ?" if stage else "") + " ORDER BY id"
        rows = self._db.execute(sql, (stage,) if stage else ())
        return [ModelCall.model_validate(dict(r)) for r in rows]

    def call_stages(self) -> list[str]:
        """The stages the call ledger has rows for."""
        rows = self._db.execute("SELECT DISTINCT stage FROM calls ORDER BY stage")
        return [str(r[0]) for r in rows]

    def batch_request(self, custom_id: str) -> BatchRequestState | None:
        """Where one Batch API request stands, if it was ever put in a batch."""
        row = self._db.execute(
            "SELECT r.state, r.reply, r.batch, b.status FROM batch_requests r "
            "JOIN batches b ON b.id = r.batch WHERE r.custom_id = ?",
            (custom_id,),
        ).fetchone()
        if row is None:
            return None
        return BatchRequestState(str(row[0]), row[1], int(row[2]), str(row[3]))

    def open_batches(self, endpoint: str) -> list[dict[str, Any]]:
        """Batches uploaded or submitted to ``endpoint`` and not yet downloaded."""
        rows = self._db.execute(
            "SELECT id, input_file_id, batch_id, status FROM batches "
            "WHERE endpoint = ? AND status != 'finished' ORDER BY id",
            (endpoint,),
        )
        return [dict(r) for r in rows]

    def batch_uploaded(
        self, endpoint: str, input_file_id: str, requests: Sequence[tuple[str, str, str]]
    ) -> int:
        """Journal an uploaded input file and its (custom id, stage, unit key) requests
        *before* the batch is created, so a crash in between is found again on restart."""
        now = time.time()
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO batches (endpoint, input_file_id, status, created_at, updated_at) "
                "VALUES (?, ?, 'uploaded', ?, ?)",
                (endpoint, input_file_id, now, now),
            )
            local = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO batch_requests VALUES (?,?,?,?,'pending',NULL) "
                "ON CONFLICT(custom_id) DO UPDATE SET batch=excluded.batch, state='pending'",
                [(cid, local, stage, key) for cid, stage, key in requests],
            )
        return local

    def batch_submitted(self, local_id: int, batch_id: str) -> None:
        self._db.execute(
            "UPDATE batches SET batch_id = ?, status = 'submitted', updated_at = ? WHERE id = ?",
            (batch_id, time.time(), local_id),
        )

    def batch_row(self, local_id: int) -> dict[str, Any] | None:
        """One journalled batch, whatever its status."""
        row = self._db.execute(
            "SELECT id, endpoint, input_file_id, batch_id, status, created_at, updated_at "
            "FROM batches WHERE id = ?",
            (local_id,),
        ).fetchone()
        return None if row is None else dict(row)

    def batch_claim(self, local_id: int, claim: str, stale_before: float) -> bool:
        """Take the right to create an uploaded batch: ``claim`` goes where its remote id
        will go, unless another live claim (newer than ``stale_before``) holds it already.
        Several processes sharing the journal (Ray workers) thus create a batch once."""
        cur = self._db.execute(
            "UPDATE batches SET batch_id = ?, updated_at = ? WHERE id = ? AND status = 'uploaded' "
            "AND (batch_id IS NULL OR (batch_id LIKE 'claim:%' AND updated_at < ?))",
            (claim, time.time(), local_id, stale_before),
        )
        return cur.rowcount == 1

    def batch_release(self, local_id: int, claim: str) -> None:
        """Give up a claim to create a batch (its creation failed): the next process to try
        claims it at once, and looks for it in the account's list before creating it."""
        self._db.execute(
            "UPDATE batches SET batch_id = NULL WHERE id = ? AND batch_id = ?", (local_id, claim)
        )

    def batch_settle(
        self,
        local_id: int,
        remote_status: str,
        answers: Sequence[tuple[str, str]],
        calls: Mapping[str, ModelCall],
    ) -> tuple[list[str], list[str]] | None:
        """Keep a downloaded batch's answers (custom id, reply JSON), mark its other requests
        missing and close it, all at once. Only requests still pending *in this batch* change,
        and only those get their ledger row from ``calls``, so however many processes download
        the same batch, each answered request is billed once. Returns (newly answered, missing)
        custom ids, or None when the batch was closed already."""
        with self.transaction() as db:
            row = db.execute("SELECT status FROM batches WHERE id = ?", (local_id,)).fetchone()
            if row is None or row[0] == "finished":
                return None
            newly = [
                cid
                for cid, reply in answers
                if db.execute(
                    "UPDATE batch_requests SET state = 'answered', reply = ? "
                    "WHERE custom_id = ? AND batch = ? AND state = 'pending'",
                    (reply, cid, local_id),
                ).rowcount
                == 1
            ]
            missing = [
                str(r[0])
                for r in db.execute(
                    "SELECT custom_id FROM batch_requests WHERE batch = ? AND state = 'pending'",
                    (local_id,),
                )
            ]
            db.execute(
                "UPDATE batch_requests SET state = 'missing' WHERE batch = ? AND state = 'pending'",
                (local_id,),
            )
            db.execute(
                "UPDATE batches SET status = 'finished', remote_status = ?, updated_at = ? "
                "WHERE id = ?",
                (remote_status, time.time(), local_id),
            )
            calls_in(db, [calls[cid] for cid in newly if cid in calls])
        return newly, missing

    def batch_requests_of(self, local_id: int) -> list[tuple[str, str, str]]:
        """(custom id, stage, unit key) of the requests a batch holds."""
        rows = self._db.execute(
            "SELECT custom_id, stage, unit_key FROM batch_requests WHERE batch = ?", (local_id,)
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def count_batches(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
