"""Row conversions and the write steps several parts of the store share.

They take an open connection so that callers can run them inside one transaction: a unit's
results, its done mark and its ledger rows commit together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
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
)
from visinstruct.store._types import DatasetScope, Head

RAW_LIMIT = 20_000
_RAW_LIMIT = RAW_LIMIT


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values)) or "NULL"


_ANY_FAILED_CHECK = (
    "EXISTS (SELECT 1 FROM json_each(i.checks) c WHERE json_type(c.value, '$.passed') = 'false')"
)


def upsert_source(
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


def image_from_row(row: sqlite3.Row) -> ImageRecord:
    return ImageRecord(
        id=row["id"], path=row["path"], domain=row["domain"], width=row["width"],
        height=row["height"], format=row["format"], bytes=row["bytes"], phash=row["phash"],
        source=row["source"], prior=json.loads(row["prior"]),
        ocr=[OcrLine.model_validate(o) for o in json.loads(row["ocr"])],
    )  # fmt: skip


def complete_in(
    db: sqlite3.Connection,
    stage: str,
    unit_key: str,
    config_hash: str,
    results: Sequence[Record],
    head: Head | None = None,
) -> int:
    """Write a unit's results and its done mark; returns how many results were already
    stored (a true duplicate of the same lineage, skipped and counted)."""
    db.execute(
        "DELETE FROM item_rejects WHERE stage = ? AND unit_key = ? AND config_hash = ?",
        (stage, unit_key, config_hash),
    )
    duplicates = 0
    for record in results:
        if isinstance(record, RejectedItem):
            db.execute(
                "INSERT INTO item_rejects (stage, unit_key, config_hash, kind, reason, "
                "content, created_at) VALUES (?,?,?,?,?,?,?)",
                (stage, unit_key, config_hash, record.kind, record.reason,
                 record.content[:_RAW_LIMIT], time.time()),
            )  # fmt: skip
            continue
        if not insert_result(db, record, config_hash):
            duplicates += 1
    db.execute(
        "INSERT INTO work_units VALUES (?,?,?,'done',1,NULL,NULL,?) "
        "ON CONFLICT(stage, unit_key, config_hash) DO UPDATE SET status='done', "
        "last_error=NULL, raw=NULL, updated_at=excluded.updated_at",
        (stage, unit_key, config_hash, time.time()),
    )
    if head is not None:
        claim_head(db, stage, config_hash, head)
    return duplicates


def claim_head(db: sqlite3.Connection, stage: str, config_hash: str, head: Head) -> None:
    """Point the dataset at this generation of an image and language, once all its units
    are done (the other kinds of a per-kind layout may still be on their way)."""
    if head.siblings:
        done = db.execute(
            "SELECT COUNT(*) FROM work_units WHERE stage = ? AND config_hash = ? AND "
            f"status = 'done' AND unit_key IN ({_marks(head.siblings)})",
            (stage, config_hash, *head.siblings),
        ).fetchone()[0]
        if int(done) < len(head.siblings):
            return
    db.execute(
        "INSERT INTO dataset_heads VALUES (?,?,?,?,?) ON CONFLICT(image_id, language) DO UPDATE "
        "SET caption_id = excluded.caption_id, config_hash = excluded.config_hash, "
        "updated_at = excluded.updated_at",
        (head.image_id, head.language, head.caption_id, config_hash, time.time()),
    )
    db.execute(  # the membership flag follows the head: this generation in, any other out
        "UPDATE instructions SET live = (caption_id IS ? AND config_hash = ?) "
        "WHERE image_id = ? AND language = ? AND config_hash NOT LIKE 'import:%'",
        (head.caption_id, config_hash, head.image_id, head.language),
    )


def fail_in(
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


def insert_result(db: sqlite3.Connection, record: Record, config_hash: str) -> bool:
    """Insert one result row; False when a row of that id (content and lineage) exists."""
    now = time.time()
    if isinstance(record, Caption):
        cursor = db.execute(
            "INSERT OR IGNORE INTO captions VALUES (?,?,?,?,?,?,?,?,?)",
            (
                record.id, record.image_id, record.text, record.language, record.model,
                record.prompt_version, record.config_hash, record.source, now,
            ),
        )  # fmt: skip
        return cursor.rowcount > 0
    if isinstance(record, Instruction):
        cursor = db.execute(
            "INSERT OR IGNORE INTO instructions (id, image_id, domain, kind, language, question, "
            "choices, answer, provenance, config_hash, caption_id, checks, review_status, "
            "created_at, live) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.id, record.image_id, record.domain, record.kind, record.language,
                record.question, _json(record.choices), record.answer,
                _json(record.provenance.model_dump()), config_hash,
                record.provenance.caption_id, _json(record.checks), record.review_status, now,
                int(config_hash.startswith("import:")),  # imports are live at once; generated
            ),  # rows when their generation's head is claimed (claim_head)
        )  # fmt: skip
        return cursor.rowcount > 0
    if isinstance(record, CheckResult):  # verify/: a verdict on an existing instruction
        write_checks(db, [record])
        return True
    raise StoreError(f"the store cannot keep a {type(record).__name__} as a unit result")


def write_checks(db: sqlite3.Connection, results: Sequence[CheckResult]) -> None:
    """Upsert verdicts into both places, one read and one write per instruction, and keep
    each verdict that changed in ``check_history``."""
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
    changed = [
        (r.instruction_id, r.name, r.passed, r.score, r.reason, _json(r.details), now)
        for r in results
        if current[r.instruction_id].get(r.name) != r.as_check()
    ]
    db.executemany(  # the history of verdicts: a row each time one changes
        "INSERT INTO check_history (instruction_id, name, passed, score, reason, details, "
        "created_at) VALUES (?,?,?,?,?,?,?)",
        changed,
    )
    for instruction_id, mine in by_instruction.items():
        checks = current[instruction_id]
        checks.update({r.name: r.as_check() for r in mine})
        db.execute(
            "UPDATE instructions SET checks = ? WHERE id = ?", (_json(checks), instruction_id)
        )


def calls_in(db: sqlite3.Connection, calls: Iterable[ModelCall]) -> None:
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


_PINNED = (
    "(SELECT i0.id, i0.image_id, i0.domain, i0.kind, i0.language, "
    "COALESCE(r.question, i0.question) AS question, COALESCE(r.choices, i0.choices) AS choices, "
    "COALESCE(r.answer, i0.answer) AS answer, i0.provenance, i0.config_hash, i0.caption_id, "
    "m.checks AS checks, m.review_status AS review_status, i0.created_at, "
    "COALESCE(m.revision, 0) AS revision FROM dataset_members m "
    "JOIN instructions i0 ON i0.id = m.instruction_id "
    "LEFT JOIN instruction_revisions r ON r.id = m.revision WHERE m.version = ?)"
)


def live_condition(include_imports: bool) -> str:
    """The condition (over a row ``i`` of instructions) for being in the live dataset: per
    image and language the generation ``dataset_heads`` names (``live``, moved with the head
    by :func:`claim_head`), and imported instructions when ``include_imports``."""
    return "i.live = 1" if include_imports else "i.live = 1 AND i.config_hash NOT LIKE 'import:%'"


def scoped(scope: DatasetScope) -> tuple[str, list[Any]]:
    """``FROM <rows> i WHERE <condition>`` for the instructions that make up the dataset of
    ``scope``, with their current content (or, for a pinned version, the content they had when
    it was pinned), plus its arguments. This is the one place that decides what the dataset
    is; callers may append `` AND ...``."""
    if scope.version is not None:
        return f"FROM {_PINNED} i WHERE 1", [scope.version]
    return f"FROM current_instructions i WHERE {live_condition(scope.include_imports)}", []


def instruction_from_row(r: sqlite3.Row) -> Instruction:
    return Instruction(
        id=r["id"], image_id=r["image_id"], domain=r["domain"], kind=r["kind"],
        language=r["language"], question=r["question"], choices=json.loads(r["choices"]),
        answer=r["answer"], provenance=Provenance.model_validate_json(r["provenance"]),
        checks=json.loads(r["checks"]), review_status=r["review_status"],
        revision=r["revision"],
    )  # fmt: skip
