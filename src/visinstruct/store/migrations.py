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

# Step (f), manual correction: reviewers (only a hash of each token), the audit trail of every
# review action, each reviewer's latest decision per instruction (two reviewers are both kept),
# and the sampling plan the error rate is estimated from.
_REVIEW = """
CREATE TABLE reviewers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE review_events (
    id INTEGER PRIMARY KEY,
    instruction_id TEXT NOT NULL,
    image_id TEXT NOT NULL,
    reviewer TEXT NOT NULL REFERENCES reviewers(name),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    seconds REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX review_events_instruction ON review_events(instruction_id);
CREATE INDEX review_events_reviewer ON review_events(reviewer, created_at);
CREATE TABLE review_decisions (
    instruction_id TEXT NOT NULL,
    reviewer TEXT NOT NULL REFERENCES reviewers(name),
    status TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (instruction_id, reviewer)
);
CREATE TABLE review_sample (
    instruction_id TEXT PRIMARY KEY,
    stratum TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('flagged', 'sample')),
    stratum_size INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX instructions_status ON instructions(review_status, image_id)
"""

# Verification verdicts, one row per (instruction, check), so "what is flagged" is an indexed
# query; ``instructions.checks`` keeps the same verdicts as JSON for the export. Verdicts that
# an importer already wrote into the JSON are carried over.
_VERIFY_CHECKS = """
CREATE TABLE instruction_checks (
    instruction_id TEXT NOT NULL REFERENCES instructions(id),
    name TEXT NOT NULL,
    passed INTEGER,
    score REAL NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    updated_at REAL NOT NULL,
    PRIMARY KEY (instruction_id, name)
);
CREATE INDEX instruction_checks_failed ON instruction_checks(passed, instruction_id);
INSERT OR IGNORE INTO instruction_checks
    SELECT i.id, j.key, json_extract(j.value, '$.passed'),
           COALESCE(json_extract(j.value, '$.score'), 0.0),
           COALESCE(json_extract(j.value, '$.reason'), ''), j.value, i.created_at
    FROM instructions i, json_each(i.checks) j
    WHERE json_valid(i.checks) AND j.type = 'object'
"""

_COLLECT_SOURCES = """
CREATE TABLE collect_pending (
    image_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE TABLE near_duplicates (
    path TEXT PRIMARY KEY,
    image_id TEXT NOT NULL,
    kept_id TEXT NOT NULL,
    kept_path TEXT NOT NULL,
    distance INTEGER NOT NULL,
    found_at REAL NOT NULL
);
CREATE INDEX near_duplicates_kept ON near_duplicates(kept_id);
"""

# The openai-batch backend's journal: every batch it uploaded, and which request (custom id)
# is in which batch, so a crash never submits the same work twice. A request whose batch ended
# without an answer for it is marked missing and goes into the next batch on its own.
_BATCHES = """
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    endpoint TEXT NOT NULL,
    input_file_id TEXT NOT NULL,
    batch_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'submitted', 'finished')),
    remote_status TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX batches_open ON batches(endpoint, status);
CREATE TABLE batch_requests (
    custom_id TEXT PRIMARY KEY,
    batch INTEGER NOT NULL REFERENCES batches(id),
    stage TEXT NOT NULL,
    unit_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'missing')),
    reply TEXT
);
CREATE INDEX batch_requests_batch ON batch_requests(batch, state);
"""

# Lineage. Generated content is written once: what happens to an instruction later (an option
# reordering, a reviewer's edit or decision) is a revision beside it, and ``instructions.head``
# points at the current one (NULL: as generated); every change of a verification verdict is
# kept in ``check_history``. ``dataset_heads`` names, per image and
# language, the generation that makes up the dataset now (the latest completed one), so
# editing a setting never empties the dataset; ``instructions.live`` is that membership, kept
# with the heads in the same transaction, so scoped queries read an index, not a join.
# ``dataset_versions`` / ``dataset_members`` pin a dataset as it was (members, revisions, review
# states and verdicts) for byte-identical re-exports. Existing rows keep their content; heads
# start from each image's newest generation.
_LINEAGE = """
CREATE TABLE instruction_revisions (
    id INTEGER PRIMARY KEY,
    instruction_id TEXT NOT NULL REFERENCES instructions(id),
    parent INTEGER REFERENCES instruction_revisions(id),
    author TEXT NOT NULL,
    action TEXT NOT NULL,
    question TEXT NOT NULL,
    choices TEXT NOT NULL,
    answer TEXT NOT NULL,
    review_status TEXT NOT NULL,
    reason TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX instruction_revisions_item ON instruction_revisions(instruction_id, id);
CREATE TABLE check_history (
    id INTEGER PRIMARY KEY,
    instruction_id TEXT NOT NULL REFERENCES instructions(id),
    name TEXT NOT NULL,
    passed INTEGER,
    score REAL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX check_history_item ON check_history(instruction_id, id);
ALTER TABLE instructions ADD COLUMN head INTEGER REFERENCES instruction_revisions(id);
ALTER TABLE instructions ADD COLUMN live INTEGER NOT NULL DEFAULT 0;
CREATE TABLE dataset_heads (
    image_id TEXT NOT NULL,
    language TEXT NOT NULL,
    caption_id TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (image_id, language)
);
INSERT OR IGNORE INTO dataset_heads
    SELECT image_id, language, caption_id, config_hash, MAX(created_at) FROM instructions
    WHERE caption_id IS NOT NULL AND config_hash NOT LIKE 'import:%'
    GROUP BY image_id, language;
UPDATE instructions SET live = 1 WHERE config_hash LIKE 'import:%' OR EXISTS (
    SELECT 1 FROM dataset_heads h WHERE h.image_id = instructions.image_id
    AND h.language = instructions.language AND h.caption_id = instructions.caption_id
    AND h.config_hash = instructions.config_hash);
CREATE TABLE dataset_versions (
    name TEXT PRIMARY KEY,
    include_imports INTEGER NOT NULL,
    instructions INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE dataset_members (
    version TEXT NOT NULL REFERENCES dataset_versions(name),
    instruction_id TEXT NOT NULL REFERENCES instructions(id),
    revision INTEGER REFERENCES instruction_revisions(id),
    review_status TEXT NOT NULL,
    checks TEXT NOT NULL,
    PRIMARY KEY (version, instruction_id)
);
CREATE VIEW current_instructions AS
    SELECT i.id, i.image_id, i.domain, i.kind, i.language,
           COALESCE(r.question, i.question) AS question,
           COALESCE(r.choices, i.choices) AS choices,
           COALESCE(r.answer, i.answer) AS answer,
           i.provenance, i.config_hash, i.caption_id, i.checks, i.review_status,
           i.created_at, COALESCE(i.head, 0) AS revision, i.live
    FROM instructions i LEFT JOIN instruction_revisions r ON r.id = i.head
"""

# The review app, hardened (issue 19) and without lost work: server-side sessions (only a hash
# of each session id is kept, and a per-session CSRF token that outlives a server restart),
# reviewers that can be removed without losing their audit trail, the revision each review
# action was made on (optimistic concurrency and undo), and indexes that keep every filtered
# queue under 100 ms at 100,000 instructions (bench/review.py). The partial index holds the
# rows whose checks JSON names a failed verdict: a cheap superset that queries confirm with
# json_each, so the failed-check queue reads a few rows instead of parsing every one.
_REVIEW_SESSIONS = """
CREATE TABLE review_sessions (
    id_hash TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL REFERENCES reviewers(name),
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX review_sessions_reviewer ON review_sessions(reviewer);
ALTER TABLE reviewers ADD COLUMN removed_at REAL;
ALTER TABLE review_events ADD COLUMN revision TEXT;
ALTER TABLE review_events ADD COLUMN prior_decision TEXT;
ALTER TABLE review_events ADD COLUMN undoes INTEGER;
CREATE INDEX review_failed ON instructions(image_id, review_status, live)
    WHERE instr(checks, '"passed": false') > 0 OR instr(checks, '"passed":false') > 0;
CREATE INDEX review_by_status ON instructions(
    review_status, image_id, kind, language, domain, live);
CREATE INDEX review_by_image ON instructions(
    image_id, review_status, kind, language, domain, live);
CREATE INDEX review_by_model ON instructions(
    json_extract(provenance, '$.model'), domain, image_id, live)
"""

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_initial", _INITIAL),
    ("0002_item_rejects_and_ocr_engine", _REJECTS_AND_OCR),
    ("0005_review", _REVIEW),
    ("0004_verify_checks", _VERIFY_CHECKS),
    ("0003_collect_sources", _COLLECT_SOURCES),
    ("0006_batches", _BATCHES),
    ("0007_lineage", _LINEAGE),
    ("0008_review_sessions", _REVIEW_SESSIONS),
)
