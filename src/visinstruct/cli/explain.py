"""What a run did not do, and why: rejected files by reason, domains without seed questions and
the seeds they borrow, failed units with their last error. Shown by ``status`` and after
``run``; ``status --rejected`` lists every rejected file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from visinstruct.caption import CaptionStage
from visinstruct.errors import ConfigError
from visinstruct.generate import GenerateStage
from visinstruct.generate.stage import FALLBACK_DOMAIN
from visinstruct.project import Project
from visinstruct.seeds import load_bank

__all__ = ["EXAMPLES", "explain", "print_explain"]

EXAMPLES = 3
"""File names shown per rejection reason (``status --rejected`` shows them all)."""
_FAILED_SHOWN = 5


def _reason_kind(reason: str) -> str:
    return reason.split(":", 1)[0].strip() or "rejected"


def _rejected(project: Project, every: bool) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for rejection in project.store.rejections():
        grouped.setdefault(_reason_kind(rejection.reason), []).append(
            {"path": rejection.path, "reason": rejection.reason}
        )
    ordered = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {
        kind: {"count": len(rows), "files": rows if every else rows[:EXAMPLES]}
        for kind, rows in ordered
    }


def _unknown_domains(project: Project) -> dict[str, Any]:
    try:
        known = set(load_bank(project.config.seeds.paths, project.root).names())
    except ConfigError:
        return {}
    counts = Counter(i.domain for i in project.store.images() if i.domain not in known)
    borrowed = FALLBACK_DOMAIN if FALLBACK_DOMAIN in known else None
    return {d: {"images": n, "seeds_from": borrowed} for d, n in sorted(counts.items())}


def _failed(project: Project) -> dict[str, list[dict[str, Any]]]:
    failed: dict[str, list[dict[str, Any]]] = {}
    for stage_cls in (CaptionStage, GenerateStage):
        try:
            config_hash = stage_cls.hash_of(project.config)
        except ConfigError:
            continue  # no model configured for the stage
        rows = project.store.failures(stage_cls.name, config_hash, limit=_FAILED_SHOWN)
        if rows:
            failed[stage_cls.name] = [
                {"unit": r["unit_key"], "attempts": r["attempts"], "last_error": r["last_error"]}
                for r in rows
            ]
    return failed


def explain(project: Project, *, every_rejected: bool = False) -> dict[str, Any]:
    """The ``explain`` part of ``status --json``."""
    return {
        "rejected": _rejected(project, every_rejected),
        "unknown_domains": _unknown_domains(project),
        "failed_units": _failed(project),
    }


def print_explain(out: Console, data: dict[str, Any], *, every_rejected: bool = False) -> None:
    for kind, group in data["rejected"].items():
        names = [Path(f["path"]).name for f in group["files"]]
        more = group["count"] - len(names)
        tail = f", … {more} more (status --rejected)" if more > 0 and not every_rejected else ""
        if every_rejected:
            out.print(f"rejected {group['count']}: {escape(kind)}", highlight=False)
            for f in group["files"]:
                # One line per file, never wrapped: the list is for grep and copy-paste.
                line = f"  {escape(f['path'])}: {escape(f['reason'])}"
                out.print(line, highlight=False, soft_wrap=True)
        else:
            shown = escape(", ".join(names) + tail)
            out.print(f"rejected {group['count']}: {escape(kind)} ({shown})", highlight=False)
    for domain, info in data["unknown_domains"].items():
        seeds = info["seeds_from"]
        borrowed = f"borrows the {seeds} seeds" if seeds else "has no seeds to borrow"
        out.print(
            f"domain {escape(domain)} ({info['images']} images) is not in the seed bank: it "
            f"{borrowed}; add seeds (visinstruct seeds import) or rename the folder",
            highlight=False,
        )
    for stage, rows in data["failed_units"].items():
        for row in rows:
            out.print(
                f"{stage} failed: {escape(str(row['unit']))} after {row['attempts']} attempts: "
                f"{escape(str(row['last_error']))}",
                highlight=False,
            )
