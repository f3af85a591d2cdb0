"""What a collect run did, and the JSON report of it that lands in the project folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visinstruct.store import Store

__all__ = ["Cluster", "CollectReport", "clusters_of", "write_report"]


@dataclass(frozen=True)
class Cluster:
    """A kept image and the near-duplicates of it that were rejected."""

    kept: str
    kept_id: str
    duplicates: tuple[tuple[str, int], ...]


@dataclass
class CollectReport:
    """Counts of one run. ``reasons`` counts rejections by kind (the words before the colon);
    ``notes`` counts what was done to read accepted images (``CMYK → RGB``, ...)."""

    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    moved: int = 0
    """Images found at a new path with the same bytes, their old file gone (a moved folder)."""
    reasons: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    near_duplicates: int = 0
    clusters: list[Cluster] = field(default_factory=list)
    unknown_domains: list[str] = field(default_factory=list)
    report_path: Path | None = None

    def count_reason(self, kind: str) -> None:
        self.rejected += 1
        self.reasons[kind] = self.reasons.get(kind, 0) + 1

    def merged(self, other: CollectReport) -> CollectReport:
        """Both reports' counts added up."""
        reasons = dict(self.reasons)
        for kind, n in other.reasons.items():
            reasons[kind] = reasons.get(kind, 0) + n
        notes = dict(self.notes)
        for note, n in other.notes.items():
            notes[note] = notes.get(note, 0) + n
        return CollectReport(
            accepted=self.accepted + other.accepted,
            rejected=self.rejected + other.rejected,
            unchanged=self.unchanged + other.unchanged,
            moved=self.moved + other.moved,
            reasons=reasons,
            notes=notes,
            near_duplicates=self.near_duplicates + other.near_duplicates,
            clusters=self.clusters + other.clusters,
            unknown_domains=sorted(set(self.unknown_domains) | set(other.unknown_domains)),
        )


def clusters_of(store: Store) -> list[Cluster]:
    """Every near-duplicate cluster the project has found, from the store."""
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for kept_path, kept_id, path, distance in store.near_duplicates():
        grouped.setdefault((kept_path, kept_id), []).append((path, distance))
    return [Cluster(k[0], k[1], tuple(v)) for k, v in grouped.items()]


def write_report(store: Store, report: CollectReport, path: Path) -> Path:
    """Write this run's counts, the project's rejection counts and all clusters as JSON."""
    data: dict[str, Any] = {
        "run": {
            "accepted": report.accepted,
            "rejected": report.rejected,
            "unchanged": report.unchanged,
            "moved": report.moved,
            "reasons": report.reasons,
            "notes": report.notes,
            "near_duplicates": report.near_duplicates,
            "unknown_domains": report.unknown_domains,
        },
        "project": {
            "images": store.count_images(),
            "rejections": store.rejection_counts(),
        },
        "keep_rule": "largest pixel area, then earliest collected; images accepted by an "
        "earlier run (or used by a later stage) are never replaced",
        "clusters": [
            {
                "kept": c.kept,
                "kept_id": c.kept_id,
                "duplicates": [{"path": p, "distance": d} for p, d in c.duplicates],
            }
            for c in clusters_of(store)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path
