"""The verification report: what each check passed and flagged, per domain and per kind, what
the export will drop, how balance moved, and how the kept set meets its quotas.

One dict, built from the store after every pass has written, so the terminal table and
``verify_report.json`` show the same figures.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from visinstruct.config import ProjectConfig
from visinstruct.generate.validate import LETTERS
from visinstruct.records import KINDS, Instruction
from visinstruct.verify.balance import ChoiceItem, quota_report

__all__ = ["REPORT_FILENAME", "build_report", "letter_shares", "write_report"]

REPORT_FILENAME = "verify_report.json"


def _cell() -> dict[str, int]:
    return {"passed": 0, "flagged": 0, "off": 0}


def letter_shares(items: Sequence[ChoiceItem]) -> dict[str, Any]:
    """Answer-letter shares overall and per domain."""

    def shares(letters: list[str]) -> dict[str, float]:
        counts = Counter(letters)
        return {L: round(counts[L] / len(letters), 4) if letters else 0.0 for L in LETTERS}

    domains: dict[str, list[str]] = {}
    for item in items:
        domains.setdefault(item.domain, []).append(item.letter)
    overall = shares([i.letter for i in items])
    return {
        "items": len(items),
        "overall": overall,
        "max_deviation": round(max(abs(v - 1 / len(LETTERS)) for v in overall.values()), 4)
        if items
        else 0.0,
        "by_domain": {d: shares(v) for d, v in sorted(domains.items())},
    }


class _Tally:
    def __init__(self, drop: bool) -> None:
        self.drop = drop
        self.checks: dict[str, dict[str, Any]] = {}
        self.domains: dict[str, Counter[str]] = {}
        self.kinds: dict[str, Counter[str]] = {}
        self.kept_kinds: Counter[str] = Counter()
        self.kept_domains: Counter[str] = Counter()
        self.total = 0
        self.images: set[str] = set()

    def add(self, ins: Instruction) -> None:
        self.total += 1
        self.images.add(ins.image_id)
        failed = False
        for name, result in ins.checks.items():
            if not isinstance(result, dict):
                continue
            row = self.checks.setdefault(
                name, {**_cell(), "dropped": 0, "by_domain": {}, "by_kind": {}}
            )
            state = {True: "passed", False: "flagged"}.get(result.get("passed"), "off")  # type: ignore[arg-type]
            row[state] += 1
            for axis, key in (("by_domain", ins.domain), ("by_kind", ins.kind)):
                row[axis].setdefault(key, _cell())[state] += 1
            if state == "flagged":
                failed = True
                row["dropped"] += int(self.drop)
        for table, key in ((self.domains, ins.domain), (self.kinds, ins.kind)):
            cell = table.setdefault(key, Counter())
            cell["instructions"] += 1
            cell["flagged"] += int(failed)
            cell["dropped"] += int(failed and self.drop)
        if not (failed and self.drop):
            self.kept_kinds[ins.kind] += 1
            self.kept_domains[ins.domain] += 1


def build_report(
    instructions: Iterable[Instruction],
    config: ProjectConfig,
    stages: dict[str, dict[str, Any]],
    balance: dict[str, Any],
    notes: list[str],
) -> dict[str, Any]:
    """The report dict (see the module docstring); ``balance`` comes from the balance pass."""
    tally = _Tally(config.export.drop_failed_checks)
    for ins in instructions:
        tally.add(ins)
    counts = config.generate.counts
    total_count = sum(counts.values()) or 1
    default_shares: dict[str, float] = {k: counts.get(k, 0) / total_count for k in KINDS}
    flagged = sum(c["flagged"] for c in tally.domains.values())
    return {
        "instructions": tally.total,
        "images": len(tally.images),
        "flagged": flagged,
        "dropped": flagged if tally.drop else 0,
        "checks": {name: tally.checks[name] for name in sorted(tally.checks)},
        "by_domain": {d: dict(c) for d, c in sorted(tally.domains.items())},
        "by_kind": {k: dict(c) for k, c in sorted(tally.kinds.items())},
        "model_stages": stages,
        "balance": {
            "multiple_choice": {
                "moved": balance["choices"]["moved"],
                "before": letter_shares(balance["choices"]["before"]),
                "after": letter_shares(balance["choices"]["after"]),
            },
            "yes_no": balance["yes_no"],
        },
        "quotas": quota_report(tally.kept_kinds, tally.kept_domains, config.verify, default_shares),
        "notes": notes,
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as JSON (the folder is made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
