"""The project database: the only module that writes SQL.

One SQLite file per project in WAL mode. A work unit is done when its result rows and its
``work_units`` row commit in the same transaction, so a crash at any instant leaves each unit
either wholly done or not started, and content-hash ids make a second insert a no-op.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.records import (
    Caption,
    CheckResult,
    ImageRecord,
    Instruction,
    ModelCall,
    OcrLine,
    Provenance,
    Record,
    RejectedItem,
    Rejection,
)
from visinstruct.store.migrations import MIGRATIONS

__all__ = [
    "BatchRequestState",
    "CallTotals",
    "ReviewFilter",
    "Store",
    "UnitCounts",
    "UnitWrite",
]

_RAW_LIMIT = 20_000


@dataclass(frozen=True)
class UnitCounts:
    done: int
    failed: int


@dataclass(frozen=True)
class CallTotals:
    calls: int
    ok: int
    retries: int
    errors: int
    input_tokens: int
    output_tokens: int
    image_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class UnitWrite:
    """One unit's outcome for :meth:`Store.write_batch`: results, or an error when failed."""

    stage: str
    unit_key: str
    config_hash: str
    results: Sequence[Record] = ()
    error: str | None = None
    raw: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class BatchRequestState:
    """One Batch API request in the journal: ``pending`` (in a batch not yet downloaded),
    ``answered`` (``reply`` holds the completion JSON) or ``missing`` (its batch ended
    without an answer for it)."""

    state: str
    reply: str | None
    batch: int
    batch_status: str


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Store:
    """A connection to one project database. Not shared across threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the project database: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
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

    # -- images and sources ---------------------------------------------------------------

    def source_state(self, path: str) -> tuple[int, float] | None:
        """(size, mtime) recorded when ``path`` was last collected, if ever."""
        row = self._db.execute("SELECT size, mtime FROM sources WHERE path = ?", (path,)).fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def image_id_with_hash(self, image_id: str) -> str | None:
        """The path an image with this content hash was first collected from."""
        row = self._db.execute("SELECT path FROM images WHERE id = ?", (image_id,)).fetchone()
        return None if row is None else str(row[0])

    def record_image(self, image: ImageRecord, size: int, mtime: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO images (id, path, domain, width, height, format, bytes, "
                "phash, source, prior, ocr, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    image.id, image.path, image.domain, image.width, image.height,
                    image.format, image.bytes, image.phash, image.source,
                    _json(image.prior), _json([o.model_dump() for o in image.ocr]), time.time(),
                ),
            )  # fmt: skip
            self._upsert_source(db, image.path, size, mtime, "accepted", image.id, None)

    def record_rejection(self, rejection: Rejection, size: int, mtime: float) -> None:
        with self.transaction() as db:
            self._upsert_source(db, rejection.path, size, mtime, "rejected", None, rejection.reason)

    @staticmethod
    def _upsert_source(
        db: sqlite3.Connection,
        path: str,
        size: int,
        mtime: float,
        status: str,
        image_id: str | None,
        reason: str | None,
    ) -> None:
        db.execute(
            "INSERT INTO sources VALUES (?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET "
            "size=excluded.size, mtime=excluded.mtime, status=excluded.status, "
            "image_id=excluded.image_id, reason=excluded.reason, seen_at=excluded.seen_at",
            (path, size, mtime, status, image_id, reason, time.time()),
        )

    def rejections(self) -> list[Rejection]:
        rows = self._db.execute(
            "SELECT path, reason FROM sources WHERE status = 'rejected' ORDER BY path"
        )
        return [Rejection(path=r[0], reason=r[1] or "") for r in rows]

    @staticmethod
    def _image(row: sqlite3.Row) -> ImageRecord:
        return ImageRecord(
            id=row["id"], path=row["path"], domain=row["domain"], width=row["width"],
            height=row["height"], format=row["format"], bytes=row["bytes"], phash=row["phash"],
            source=row["source"], prior=json.loads(row["prior"]),
            ocr=[OcrLine.model_validate(o) for o in json.loads(row["ocr"])],
        )  # fmt: skip

    def images(self) -> Iterator[ImageRecord]:
        for row in self._db.execute("SELECT * FROM images ORDER BY path"):
            yield self._image(row)

    def image(self, image_id: str) -> ImageRecord:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise StoreError(f"no image with id {image_id} in {self.path}")
        return self._image(row)

    def set_ocr(self, image_id: str, lines: Sequence[OcrLine], engine: str) -> None:
        """Store OCR lines on an image; ``engine`` names what read them (the cache key)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE images SET ocr = ?, ocr_engine = ? WHERE id = ?",
                (_json([line.model_dump() for line in lines]), engine, image_id),
            )

    def ocr_engine_of(self, image_id: str) -> str | None:
        """The engine whose OCR lines the image holds, or None if it was never read."""
        row = self._db.execute("SELECT ocr_engine FROM images WHERE id = ?", (image_id,))
        found = row.fetchone()
        return None if found is None else found[0]

    # -- OCR and caption import (caption step) ------------------------------------------------

    def ocr_pending(self, engine: str) -> list[tuple[str, str, str]]:
        """(id, path, domain) of every image whose OCR lines did not come from ``engine``."""
        rows = self._db.execute(
            "SELECT id, path, domain FROM images WHERE ocr_engine IS NULL OR ocr_engine != ? "
            "ORDER BY path",
            (engine,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def unit_status(self, stage: str, unit_key: str, config_hash: str) -> str | None:
        """'done', 'failed' or None (never tried) for one unit under one setting."""
        row = self._db.execute(
            "SELECT status FROM work_units WHERE stage = ? AND unit_key = ? AND config_hash = ?",
            (stage, unit_key, config_hash),
        ).fetchone()
        return None if row is None else str(row[0])

    def call_stages(self) -> list[str]:
        """The stages the call ledger has rows for."""
        rows = self._db.execute("SELECT DISTINCT stage FROM calls ORDER BY stage")
        return [str(r[0]) for r in rows]

    def peer_images(self, image_id: str, n: int) -> list[ImageRecord]:
        """Up to ``n`` other images, the same ones for the same image: the ids that follow
        ``image_id`` in hash order, wrapping around. Hash order makes them a fair sample."""
        rows = self._db.execute(
            "SELECT * FROM images WHERE id > ? ORDER BY id LIMIT ?", (image_id, n)
        ).fetchall()
        if len(rows) < n:
            rows += self._db.execute(
                "SELECT * FROM images WHERE id < ? ORDER BY id LIMIT ?",
                (image_id, n - len(rows)),
            ).fetchall()
        return [self._image(r) for r in rows]

    def item_rejects(self, stage: str, config_hash: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT unit_key, config_hash, kind, reason, content FROM item_rejects WHERE stage = ?"
        )
        args: list[Any] = [stage]
        if config_hash is not None:
            sql += " AND config_hash = ?"
            args.append(config_hash)
        return [dict(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def count_images(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    def count_rejected(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM sources WHERE status = 'rejected'")
        return int(row.fetchone()[0])

    # -- work units -----------------------------------------------------------------------

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

    def complete_unit(
        self, stage: str, unit_key: str, config_hash: str, results: Sequence[Record]
    ) -> None:
        """Commit a unit's results and mark it done, atomically.

        ``results`` may include :class:`RejectedItem` records: the parts of a reply the stage
        could not use, kept with their reason (a rerun of the unit replaces them).
        """
        with self.transaction() as db:
            self._complete_in(db, stage, unit_key, config_hash, results)

    def _complete_in(
        self,
        db: sqlite3.Connection,
        stage: str,
        unit_key: str,
        config_hash: str,
        results: Sequence[Record],
    ) -> None:
        db.execute(
            "DELETE FROM item_rejects WHERE stage = ? AND unit_key = ? AND config_hash = ?",
            (stage, unit_key, config_hash),
        )
        for record in results:
            if isinstance(record, RejectedItem):
                db.execute(
                    "INSERT INTO item_rejects (stage, unit_key, config_hash, kind, reason, "
                    "content, created_at) VALUES (?,?,?,?,?,?,?)",
                    (stage, unit_key, config_hash, record.kind, record.reason,
                     record.content[:_RAW_LIMIT], time.time()),
                )  # fmt: skip
                continue
            self._insert_result(db, record, config_hash)
        db.execute(
            "INSERT INTO work_units VALUES (?,?,?,'done',1,NULL,NULL,?) "
            "ON CONFLICT(stage, unit_key, config_hash) DO UPDATE SET status='done', "
            "last_error=NULL, raw=NULL, updated_at=excluded.updated_at",
            (stage, unit_key, config_hash, time.time()),
        )

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
            self._fail_in(db, stage, unit_key, config_hash, error, raw, attempts)

    @staticmethod
    def _fail_in(
        db: sqlite3.Connection,
        stage: str,
        unit_key: str,
        config_hash: str,
        error: str,
        raw: str | None,
        attempts: int,
    ) -> None:
        raw = None if raw is None else raw[:_RAW_LIMIT]
        db.execute(
            "INSERT INTO work_units VALUES (?,?,?,'failed',?,?,?,?) "
            "ON CONFLICT(stage, unit_key, config_hash) DO UPDATE SET status='failed', "
            "attempts=excluded.attempts, last_error=excluded.last_error, raw=excluded.raw, "
            "updated_at=excluded.updated_at WHERE status != 'done'",
            (stage, unit_key, config_hash, attempts, error, raw, time.time()),
        )

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

    def _insert_result(self, db: sqlite3.Connection, record: Record, config_hash: str) -> None:
        now = time.time()
        if isinstance(record, Caption):
            db.execute(
                "INSERT OR IGNORE INTO captions VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    record.id, record.image_id, record.text, record.language, record.model,
                    record.prompt_version, record.config_hash, record.source, now,
                ),
            )  # fmt: skip
        elif isinstance(record, Instruction):
            db.execute(
                "INSERT OR IGNORE INTO instructions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id, record.image_id, record.domain, record.kind, record.language,
                    record.question, _json(record.choices), record.answer,
                    _json(record.provenance.model_dump()), config_hash,
                    record.provenance.caption_id, _json(record.checks), record.review_status, now,
                ),
            )  # fmt: skip
        elif isinstance(record, CheckResult):  # verify/: a verdict on an existing instruction
            self._write_checks(db, [record])
        else:
            raise StoreError(f"the store cannot keep a {type(record).__name__} as a unit result")

    # -- captions and instructions --------------------------------------------------------

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

    @staticmethod
    def _scope(
        config_hash: str | None, caption_hash: str | None, include_imports: bool
    ) -> tuple[str, list[Any]]:
        """WHERE clause for "the instructions of these settings", plus imported ones."""
        clauses, args = [], []
        if config_hash is not None:
            own = "i.config_hash = ?"
            args.append(config_hash)
            if caption_hash is not None:
                own += " AND i.caption_id IN (SELECT id FROM captions WHERE config_hash = ?)"
                args.append(caption_hash)
            clauses.append(f"({own})")
        if include_imports:
            clauses.append("i.config_hash LIKE 'import:%'")
        return (" OR ".join(clauses) or "0"), args

    def instructions(
        self,
        config_hash: str | None,
        caption_hash: str | None = None,
        *,
        include_imports: bool = False,
    ) -> Iterator[Instruction]:
        """Instructions made under a generate setting from captions of a caption setting
        (and, when asked, every imported one), grouped by image in a stable order."""
        where, args = self._scope(config_hash, caption_hash, include_imports)
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
        where, args = self._scope(config_hash, caption_hash, include_imports)
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

    # -- call ledger ----------------------------------------------------------------------

    def add_calls(self, calls: Iterable[ModelCall]) -> None:
        with self.transaction() as db:
            self._calls_in(db, calls)

    @staticmethod
    def _calls_in(db: sqlite3.Connection, calls: Iterable[ModelCall]) -> None:
        rows = [
            (
                c.stage, c.unit_key, c.role, c.model, c.endpoint, c.started_at, c.latency_s,
                c.outcome, c.http_status, c.input_tokens, c.output_tokens, c.image_tokens,
                c.cost_usd, c.error, None if c.raw is None else c.raw[:_RAW_LIMIT],
            )
            for c in calls
        ]  # fmt: skip
        db.executemany(
            "INSERT INTO calls (stage, unit_key, role, model, endpoint, started_at, "
            "latency_s, outcome, http_status, input_tokens, output_tokens, image_tokens, "
            "cost_usd, error, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

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

    # -- scale: streaming plans, batched writes, Batch API journal (executors/, stage.py) ----

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

    def write_batch(self, writes: Sequence[UnitWrite], calls: Sequence[ModelCall]) -> None:
        """Commit many units' outcomes and ledger rows in one short transaction.

        Each unit's results and its done mark are in the same transaction, as with
        :meth:`complete_unit`; a crash before the commit loses the whole batch, and those
        units (and their calls) are simply done again by the next run.
        """
        with self.transaction() as db:
            for w in writes:
                if w.error is None:
                    self._complete_in(db, w.stage, w.unit_key, w.config_hash, w.results)
                else:
                    self._fail_in(
                        db, w.stage, w.unit_key, w.config_hash, w.error, w.raw, w.attempts
                    )
            if calls:
                self._calls_in(db, calls)

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

    def batch_finished(
        self,
        local_id: int,
        remote_status: str,
        answers: Sequence[tuple[str, str]],
        calls: Sequence[ModelCall],
    ) -> list[str]:
        """Keep the downloaded answers (custom id, reply JSON) and their ledger rows, mark
        the batch's other requests missing, all at once; return the missing custom ids."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE batch_requests SET state = 'answered', reply = ? WHERE custom_id = ?",
                [(reply, cid) for cid, reply in answers],
            )
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
            self._calls_in(db, calls)
        return missing

    def batch_requests_of(self, local_id: int) -> list[tuple[str, str, str]]:
        """(custom id, stage, unit key) of the requests a batch holds."""
        rows = self._db.execute(
            "SELECT custom_id, stage, unit_key FROM batch_requests WHERE batch = ?", (local_id,)
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def count_batches(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])

    # -- verification (verify/) -------------------------------------------------------------
    #
    # A verdict lives twice: as a row of ``instruction_checks`` (indexed, for "what is
    # flagged") and under ``instructions.checks[name]`` (what exports and the review app read).
    # Both are written in the same transaction, so they never disagree. The convention for
    # every reader: an instruction is flagged when any ``checks[*].passed`` is False.

    @staticmethod
    def _instruction_of(r: sqlite3.Row) -> Instruction:
        return Instruction(
            id=r["id"], image_id=r["image_id"], domain=r["domain"], kind=r["kind"],
            language=r["language"], question=r["question"], choices=json.loads(r["choices"]),
            answer=r["answer"], provenance=Provenance.model_validate_json(r["provenance"]),
            checks=json.loads(r["checks"]), review_status=r["review_status"],
        )  # fmt: skip

    @staticmethod
    def _write_checks(db: sqlite3.Connection, results: Sequence[CheckResult]) -> None:
        """Upsert verdicts into both places; one read and one write per instruction."""
        now = time.time()
        by_instruction: dict[str, list[CheckResult]] = {}
        for result in results:
            by_instruction.setdefault(result.instruction_id, []).append(result)
        current: dict[str, dict[str, Any]] = {}
        for instruction_id in by_instruction:
            row = db.execute(
                "SELECT checks FROM instructions WHERE id = ?", (instruction_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no instruction with id {instruction_id} to record checks on")
            current[instruction_id] = json.loads(row[0])
        db.executemany(
            "INSERT INTO instruction_checks VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(instruction_id, name) DO UPDATE SET passed=excluded.passed, "
            "score=excluded.score, reason=excluded.reason, details=excluded.details, "
            "updated_at=excluded.updated_at",
            [
                (r.instruction_id, r.name, r.passed, r.score, r.reason, _json(r.details), now)
                for r in results
            ],
        )
        for instruction_id, mine in by_instruction.items():
            checks = current[instruction_id]
            checks.update({r.name: r.as_check() for r in mine})
            db.execute(
                "UPDATE instructions SET checks = ? WHERE id = ?", (_json(checks), instruction_id)
            )

    def set_checks(self, results: Sequence[CheckResult]) -> None:
        """Record verdicts (replacing earlier ones of the same check), atomically."""
        if results:
            with self.transaction() as db:
                self._write_checks(db, results)

    def remove_checks(self, instruction_id: str, names: Sequence[str]) -> None:
        """Forget verdicts that no longer apply (e.g. a local check that was switched off)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM instruction_checks WHERE instruction_id = ? AND name = ?",
                [(instruction_id, n) for n in names],
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
        record how, in one transaction. The id stays: it names the item, not its layout."""
        with self.transaction() as db:
            db.execute(
                "UPDATE instructions SET choices = ?, answer = ? WHERE id = ?",
                (_json(list(choices)), answer, instruction_id),
            )
            self._write_checks(db, [record])

    def instructions_by_id(self, ids: Sequence[str]) -> list[Instruction]:
        """The instructions with these ids (those that exist), in id order."""
        found: list[Instruction] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self._db.execute(
                f"SELECT * FROM instructions WHERE id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY id",
                chunk,
            )
            found += [self._instruction_of(r) for r in rows]
        return found

    @staticmethod
    def _verify_scope(
        config_hash: str | None, caption_hash: str | None, include_imports: bool
    ) -> tuple[str, list[Any]]:
        """:meth:`_scope` with the caption condition as a per-row primary-key lookup, so a
        query for one image's instructions costs the same at a million captions as at ten."""
        clauses, args = [], list[Any]()
        if config_hash is not None:
            own = "i.config_hash = ?"
            args.append(config_hash)
            if caption_hash is not None:
                own += (
                    " AND EXISTS (SELECT 1 FROM captions c WHERE c.id = i.caption_id "
                    "AND c.config_hash = ?)"
                )
                args.append(caption_hash)
            clauses.append(f"({own})")
        if include_imports:
            clauses.append("i.config_hash LIKE 'import:%'")
        return (" OR ".join(clauses) or "0"), args

    def scope_image_ids(
        self, config_hash: str | None, caption_hash: str | None, *, include_imports: bool
    ) -> list[str]:
        """The images that have instructions in the scope of :meth:`instructions`."""
        where, args = self._verify_scope(config_hash, caption_hash, include_imports)
        rows = self._db.execute(
            f"SELECT DISTINCT i.image_id FROM instructions i WHERE {where} ORDER BY i.image_id",
            args,
        )
        return [str(r[0]) for r in rows]

    def scoped_image_instructions(
        self,
        image_ids: Sequence[str],
        config_hash: str | None,
        caption_hash: str | None,
        *,
        include_imports: bool,
    ) -> dict[str, list[Instruction]]:
        """image id → its instructions in the scope of :meth:`instructions`, for a batch of
        images (one query per batch keeps a pass over a million instructions short)."""
        where, args = self._verify_scope(config_hash, caption_hash, include_imports)
        found: dict[str, list[Instruction]] = {image_id: [] for image_id in image_ids}
        rows = self._db.execute(
            f"SELECT i.* FROM instructions i WHERE i.image_id IN "
            f"({','.join('?' * len(image_ids)) or 'NULL'}) AND ({where}) "
            "ORDER BY i.image_id, i.kind, i.language, i.id",
            [*image_ids, *args],
        )
        for r in rows:
            found[r["image_id"]].append(self._instruction_of(r))
        return found

    def caption_texts(self, image_id: str, caption_id: str | None) -> list[str]:
        """Caption texts of an image, the one named ``caption_id`` first (when it exists)."""
        rows = self._db.execute(
            "SELECT text FROM captions WHERE image_id = ? ORDER BY (id = ?) DESC, created_at",
            (image_id, caption_id or ""),
        )
        return [str(r[0]) for r in rows]

    def _unflagged_where(
        self,
        config_hash: str | None,
        caption_hash: str | None,
        include_imports: bool,
        failed_checks: Sequence[str],
        kinds: Sequence[str] | None = None,
    ) -> tuple[str, list[Any]]:
        where, args = self._verify_scope(config_hash, caption_hash, include_imports)
        if kinds is not None:
            where = f"({where}) AND i.kind IN ({','.join('?' * len(kinds)) or 'NULL'})"
            args = [*args, *kinds]
        if failed_checks:
            where = (
                f"({where}) AND NOT EXISTS (SELECT 1 FROM instruction_checks c WHERE "
                f"c.instruction_id = i.id AND c.passed = 0 AND c.name IN "
                f"({','.join('?' * len(failed_checks))}))"
            )
            args = [*args, *failed_checks]
        return where, args

    def unflagged_page(
        self,
        config_hash: str | None,
        caption_hash: str | None,
        *,
        include_imports: bool,
        failed_checks: Sequence[str],
        after_id: str,
        limit: int,
        kinds: Sequence[str] | None = None,
    ) -> list[Instruction]:
        """Up to ``limit`` instructions in scope (of ``kinds``), ids after ``after_id``, that
        none of ``failed_checks`` flagged. Pages are finished queries, so commits made while a
        caller walks them cannot disturb the walk."""
        where, args = self._unflagged_where(
            config_hash, caption_hash, include_imports, failed_checks, kinds
        )
        rows = self._db.execute(
            f"SELECT i.* FROM instructions i WHERE ({where}) AND i.id > ? ORDER BY i.id LIMIT ?",
            [*args, after_id, limit],
        ).fetchall()
        return [self._instruction_of(r) for r in rows]

    def count_unflagged(
        self,
        config_hash: str | None,
        caption_hash: str | None,
        *,
        include_imports: bool,
        failed_checks: Sequence[str],
        kinds: Sequence[str] | None = None,
    ) -> int:
        where, args = self._unflagged_where(
            config_hash, caption_hash, include_imports, failed_checks, kinds
        )
        row = self._db.execute(f"SELECT COUNT(*) FROM instructions i WHERE {where}", args)
        return int(row.fetchone()[0])

    def flagged_instructions(
        self,
        config_hash: str | None = None,
        caption_hash: str | None = None,
        *,
        include_imports: bool = True,
        check: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instruction]:
        """Instructions a verification check failed (``check``: only that one), in image
        order: the review queue's "needs a human" filter. Without ``config_hash`` every
        instruction in the project is considered."""
        if config_hash is None:
            where, args = "1", list[Any]()
        else:
            where, args = self._verify_scope(config_hash, caption_hash, include_imports)
        failed = "c.instruction_id = i.id AND c.passed = 0"
        if check is not None:
            failed += " AND c.name = ?"
            args = [*args, check]
        rows = self._db.execute(
            f"SELECT i.* FROM instructions i WHERE ({where}) AND EXISTS "
            f"(SELECT 1 FROM instruction_checks c WHERE {failed}) "
            "ORDER BY i.image_id, i.kind, i.language, i.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [self._instruction_of(r) for r in rows]

    # -- manifest priors (collect/manifest.py) ----------------------------------------------

    def set_prior(self, image_id: str, prior: dict[str, Any]) -> None:
        """Replace an image's prior knowledge, e.g. when its manifest row was edited."""
        with self.transaction() as db:
            db.execute("UPDATE images SET prior = ? WHERE id = ?", (_json(prior), image_id))

    # -- collect: sources, near-duplicates, rejection counts (collect/) -----------------------

    def source_status(self, path: str) -> tuple[str, str | None] | None:
        """(status, reason) of a source key (file, URL, shard member) last collected, if ever."""
        row = self._db.execute(
            "SELECT status, reason FROM sources WHERE path = ?", (path,)
        ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def record_collected_image(self, image: ImageRecord, key: str, size: int, mtime: float) -> None:
        """Accept an image that source ``key`` (a file, URL or shard member) gave, and queue
        it for the near-duplicate pass, in one transaction."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO images (id, path, domain, width, height, format, bytes, "
                "phash, source, prior, ocr, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    image.id, image.path, image.domain, image.width, image.height,
                    image.format, image.bytes, image.phash, image.source,
                    _json(image.prior), "[]", time.time(),
                ),
            )  # fmt: skip
            self._upsert_source(db, key, size, mtime, "accepted", image.id, None)
            db.execute(
                "INSERT OR IGNORE INTO collect_pending VALUES "
                "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM collect_pending))",
                (image.id,),
            )

    def record_source(self, key: str, image_id: str, size: int, mtime: float) -> None:
        """Note that source ``key`` (e.g. a URL) gave the already-stored image ``image_id``."""
        with self.transaction() as db:
            self._upsert_source(db, key, size, mtime, "accepted", image_id, None)

    def dedup_images(self, pending: bool) -> list[tuple[str, str, str, int]]:
        """(id, path, phash, pixel area) of images waiting for the near-duplicate pass
        (``pending``, in collection order) or already past it."""
        if pending:
            sql = (
                "SELECT i.id, i.path, i.phash, i.width * i.height FROM collect_pending p "
                "JOIN images i ON i.id = p.image_id ORDER BY p.seq"
            )
        else:
            sql = (
                "SELECT id, path, phash, width * height FROM images WHERE id NOT IN "
                "(SELECT image_id FROM collect_pending) ORDER BY created_at, id"
            )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in self._db.execute(sql)]

    def demote_near_duplicate(
        self, image_id: str, path: str, kept: tuple[str, str], distance: int, reason: str
    ) -> bool:
        """Move an accepted image to the rejected sources, pointing at the kept one.

        Returns False (and changes nothing) when a later stage already uses the image.
        """
        try:
            with self.transaction() as db:
                db.execute("DELETE FROM collect_pending WHERE image_id = ?", (image_id,))
                db.execute("DELETE FROM images WHERE id = ?", (image_id,))
                db.execute(
                    "UPDATE sources SET status = 'rejected', image_id = NULL, reason = ? "
                    "WHERE image_id = ?",
                    (reason, image_id),
                )
                db.execute(
                    "INSERT OR REPLACE INTO near_duplicates VALUES (?,?,?,?,?,?)",
                    (path, image_id, kept[0], kept[1], distance, time.time()),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def clear_dedup_pending(self, image_ids: Sequence[str]) -> None:
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM collect_pending WHERE image_id = ?", [(i,) for i in image_ids]
            )

    def near_duplicates(self) -> list[tuple[str, str, str, int]]:
        """(kept path, kept id, duplicate path, distance) of every near-duplicate found."""
        rows = self._db.execute(
            "SELECT kept_path, kept_id, path, distance FROM near_duplicates "
            "ORDER BY kept_path, distance, path"
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def rejection_counts(self) -> dict[str, int]:
        """Rejected sources per reason kind (the words before the reason's first colon)."""
        rows = self._db.execute(
            "SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)"
            " ELSE COALESCE(reason, '') END AS kind, COUNT(*) FROM sources "
            "WHERE status = 'rejected' GROUP BY kind ORDER BY COUNT(*) DESC, kind"
        )
        return {str(r[0]).strip() or "rejected": int(r[1]) for r in rows}

    # -- review (step f: manual correction) ---------------------------------------------------

    @staticmethod
    def _review_where(f: ReviewFilter) -> tuple[str, list[Any]]:
        """WHERE clause (over ``instructions i``) for a review queue filter."""
        clauses, args = ["1"], list[Any]()
        for column in ("domain", "kind", "language"):
            value = getattr(f, column)
            if value:
                clauses.append(f"i.{column} = ?")
                args.append(value)
        if f.status:
            clauses.append("i.review_status = ?")
            args.append(f.status)
        if f.model:
            clauses.append("json_extract(i.provenance, '$.model') = ?")
            args.append(f.model)
        if f.check == "failed":
            clauses.append(_ANY_FAILED_CHECK)
        elif f.check:
            clauses.append("json_type(i.checks, ?) = 'false'")
            args.append('$."' + f.check.replace('"', "") + '".passed')
        if f.plan in ("flagged", "sample"):
            clauses.append("i.id IN (SELECT instruction_id FROM review_sample WHERE reason = ?)")
            args.append(f.plan)
        elif f.plan == "plan":
            clauses.append("i.id IN (SELECT instruction_id FROM review_sample)")
        return " AND ".join(clauses), args

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
        where, args = self._review_where(f)
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
        where, args = self._review_where(f)
        row = self._db.execute(
            f"SELECT COUNT(DISTINCT i.image_id), COUNT(*) FROM instructions i WHERE {where}", args
        ).fetchone()
        return int(row[0]), int(row[1])

    def review_neighbour(self, image_id: str, f: ReviewFilter, *, forward: bool) -> str | None:
        """The next (or previous) image of the queue after ``image_id``, in image id order."""
        where, args = self._review_where(f)
        pick, cmp = ("MIN", ">") if forward else ("MAX", "<")
        row = self._db.execute(
            f"SELECT {pick}(i.image_id) FROM instructions i WHERE i.image_id {cmp} ? AND {where}",
            [image_id, *args],
        ).fetchone()
        return None if row[0] is None else str(row[0])

    @staticmethod
    def _instruction(r: sqlite3.Row) -> Instruction:
        return Instruction(
            id=r["id"], image_id=r["image_id"], domain=r["domain"], kind=r["kind"],
            language=r["language"], question=r["question"], choices=json.loads(r["choices"]),
            answer=r["answer"], provenance=Provenance.model_validate_json(r["provenance"]),
            checks=json.loads(r["checks"]), review_status=r["review_status"],
        )  # fmt: skip

    def image_instructions(self, image_id: str) -> list[Instruction]:
        rows = self._db.execute(
            "SELECT * FROM instructions WHERE image_id = ? ORDER BY kind, language, id",
            (image_id,),
        )
        return [self._instruction(r) for r in rows]

    def instruction(self, instruction_id: str) -> Instruction | None:
        row = self._db.execute(
            "SELECT * FROM instructions WHERE id = ?", (instruction_id,)
        ).fetchone()
        return None if row is None else self._instruction(row)

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
        where, args = self._review_where(f)
        row = self._db.execute(
            f"SELECT COUNT(DISTINCT i.image_id) FROM instructions i WHERE i.image_id < ? "
            f"AND {where}",
            [image_id, *args],
        ).fetchone()
        return int(row[0])


_REVIEW_STATES = ("unreviewed", "accepted", "edited", "rejected", "flagged")
_ANY_FAILED_CHECK = (
    "EXISTS (SELECT 1 FROM json_each(i.checks) c WHERE json_type(c.value, '$.passed') = 'false')"
)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


@dataclass(frozen=True)
class ReviewFilter:
    """What a review queue shows; None (or "") means no filter on that field.

    ``check``: "failed" for any failed verification check, else the name of a check that
    failed. ``plan``: "plan" (the whole sampling plan), "flagged" or "sample".
    """

    domain: str | None = None
    kind: str | None = None
    language: str | None = None
    status: str | None = None
    check: str | None = None
    model: str | None = None
    plan: str | None = None
