"""What a dataset holds: the figures behind ``visinstruct stats`` and the dataset card.

One pass over the instructions in the export's scope; the card and ``stats --json`` both print
this dict, so they cannot disagree. The question-template figures (distinct templates, Yes
share per template, share of questions about the whole picture's look) need to know which
template made each instruction, which only the ``template`` backend's projects can tell
(:mod:`visinstruct.generate.traces`); for any other generator they are ``None``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from visinstruct.export.source import ExportSource, failed_a_check
from visinstruct.generate.traces import instruction_figures, template_items
from visinstruct.records import KINDS, Instruction
from visinstruct.store import Store

__all__ = ["HIST_BINS", "compute_stats"]

HIST_BINS = (0, 10, 20, 40, 80, 160, 320, 640, 1280)
_YES = {"Yes", "是"}


def _lengths(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": 0.0, "p50": 0, "p90": 0, "max": 0, "histogram": []}
    ordered = sorted(values)
    hist = [0] * len(HIST_BINS)
    for v in values:
        hist[max(i for i, edge in enumerate(HIST_BINS) if v >= edge)] += 1
    return {
        "count": len(values),
        "mean": round(statistics.fmean(values), 1),
        "p50": ordered[len(ordered) // 2],
        "p90": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        "max": ordered[-1],
        "histogram": [{"from": edge, "count": n} for edge, n in zip(HIST_BINS, hist, strict=True)],
    }


class _Tally:
    def __init__(self) -> None:
        self.cells: dict[str, dict[str, Counter[str]]] = {}
        self.review: Counter[str] = Counter()
        self.checked = self.failed = self.kept = self.scope = 0
        self.yes_no: Counter[str] = Counter()
        self.letters: Counter[str] = Counter()
        self.q_len: dict[str, list[int]] = {k: [] for k in KINDS}
        self.a_len: dict[str, list[int]] = {k: [] for k in KINDS}
        self.images: dict[str, set[str]] = {}

    def add(self, instruction: Instruction, kept: bool, split: str) -> None:
        self.scope += 1
        self.review[instruction.review_status] += 1
        if instruction.checks:
            self.checked += 1
            self.failed += failed_a_check(instruction)
        if not kept:
            return
        self.kept += 1
        cell = self.cells.setdefault(instruction.domain, {})
        cell.setdefault(instruction.kind, Counter())[instruction.language] += 1
        self.images.setdefault(split, set()).add(instruction.image_id)
        if instruction.kind == "judgement":
            self.yes_no["yes" if instruction.answer in _YES else "no"] += 1
        elif instruction.kind == "multiple_choice":
            self.letters[instruction.answer] += 1
        self.q_len[instruction.kind].append(len(instruction.question))
        self.a_len[instruction.kind].append(len(instruction.answer))


def _cost(store: Store) -> dict[str, Any]:
    stages = {}
    for stage in ("caption", "generate", "verify"):
        t = store.call_totals(stage)
        if t.calls:
            stages[stage] = {
                "calls": t.calls,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
                "usd": round(t.cost_usd, 6),
            }
    total = store.call_totals()
    return {"stages": stages, "calls": total.calls, "usd": round(total.cost_usd, 6)}


def _templates(source: ExportSource, kept: list[Instruction]) -> dict[str, Any] | None:
    traced = template_items(source.config, source.store, source.root)
    return None if traced is None else instruction_figures(kept, traced)


def compute_stats(source: ExportSource) -> dict[str, Any]:
    tally = _Tally()
    kept: list[Instruction] = []
    for instruction in source.store.instructions(source.scope):
        split = source.split_of(instruction.image_id)
        keeps = source.keeps(instruction)
        tally.add(instruction, keeps, split)
        if keeps:
            kept.append(instruction)
    judgements = tally.yes_no["yes"] + tally.yes_no["no"]
    return {
        "instructions": tally.kept,
        "images": sum(len(ids) for ids in tally.images.values()),
        "splits": {s: len(ids) for s, ids in sorted(tally.images.items())},
        "by_domain": {
            domain: {kind: dict(sorted(langs.items())) for kind, langs in sorted(kinds.items())}
            for domain, kinds in sorted(tally.cells.items())
        },
        "by_kind": {k: len(tally.q_len[k]) for k in KINDS},
        "answers": {
            "judgement": {
                **dict(tally.yes_no),
                "yes_ratio": round(tally.yes_no["yes"] / judgements, 3) if judgements else None,
            },
            "multiple_choice": dict(sorted(tally.letters.items())),
        },
        "lengths": {
            "question": {k: _lengths(v) for k, v in tally.q_len.items()},
            "answer": {k: _lengths(v) for k, v in tally.a_len.items()},
        },
        "review": {"in_scope": tally.scope, "by_status": dict(sorted(tally.review.items()))},
        "verification": {
            "checked": tally.checked,
            "failed": tally.failed,
            "checked_rate": round(tally.checked / tally.scope, 3) if tally.scope else 0.0,
        },
        "cost": _cost(source.store),
        "templates": _templates(source, kept),
    }
