"""Append-only, named schema migrations. Never edit one that has shipped: add a new one."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_INITIAL = """
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    domain TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    phash TEXT NOT NULL,
    source TEXT NOT NULL,
    prior TEXT NOT NULL DEFAULT '{}',
    ocr TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL
);
CREATE INDEX images_domain ON images(domain);

CREATE TABLE sources (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    image_id TEXT,
    reason TEXT,
    seen_at REAL NOT NULL
);

CREATE TABLE captions (
    id TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id),
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX captions_config ON captions(config_hash, image_id);

CREATE TABLE instructions (
    id TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id),
    domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    question TEXT NOT NULL,
    choices TEXT NOT NULL,
    answer TEXT NOT NULL,
    provenance TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    caption_id TEXT,
    checks TEXT NOT NULL DEFAULT '{}',
    review_status TEXT NOT NULL DEFAULT 'unreviewed',
    created_at REAL NOT NULL
);
CREATE INDEX instructions_config ON instructions(config_hash, caption_id);
CREATE INDEX instructions_image ON instructions(image_id);

CREATE TABLE work_units (
    stage TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    raw TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (stage, unit_key, config_hash)
);

CREATE TABLE stage_configs (
    stage TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    settings TEXT NOT NULL,
    first_used REAL NOT NULL,
    PRIMARY KEY (stage, config_hash)
);

CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    started_at REAL NOT NULL,
    latency_s REAL NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    image_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    error TEXT,
    raw TEXT
);
CREATE INDEX calls_stage ON calls(stage, outcome);
"""

_REJECTS_AND_OCR = """
CREATE TABLE item_rejects (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    kind TEXT,
    reason TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX item_rejects_unit ON item_rejects(stage, config_hash, unit_key);
ALTER TABLE images ADD COLUMN ocr_engine TEXT;
"""

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_initial", _INITIAL),
    ("0002_item_rejects_and_ocr_engine", _REJECTS_AND_OCR),
)
