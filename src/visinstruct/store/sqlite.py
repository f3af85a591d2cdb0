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

__all__ = ["CallTotals", "Store", "UnitCounts"]

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
        raw = None if raw is None else raw[:_RAW_LIMIT]
        with self.transaction() as db:
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
        rows = [
            (
                c.stage, c.unit_key, c.role, c.model, c.endpoint, c.started_at, c.latency_s,
                c.outcome, c.http_status, c.input_tokens, c.output_tokens, c.image_tokens,
                c.cost_usd, c.error, None if c.raw is None else c.raw[:_RAW_LIMIT],
            )
            for c in calls
        ]  # fmt: skip
        with self.transaction() as db:
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

    # -- manifest priors (collect/manifest.py) ----------------------------------------------

    def set_prior(self, image_id: str, prior: dict[str, Any]) -> None:
        """Replace an image's prior knowledge, e.g. when its manifest row was edited."""
        with self.transaction() as db:
            db.execute("UPDATE images SET prior = ? WHERE id = ?", (_json(prior), image_id))
