"""Balance of answers: multiple-choice letters per domain, Yes/No per domain, kind and domain
quotas. Computed over the instructions that survive every other check (what an export keeps).

Multiple choice is rebalanced: each domain's letters are brought to n/4 each (the remainder on
the letters that are scarcest overall), by moving the fewest answers. A moved answer swaps
places with the option at its new letter, so every option keeps its text and the answer still
names the same text; the move is recorded on the instruction (``checks.mc_balance``, with the
order before and after). Options that point at other options ("all of the above") are never
moved. The plan is deterministic and a second run finds nothing to move.

Yes/No answers cannot be flipped without changing the question, and rewriting questions is
not safe to automate. So the rule is: in a domain with at least ``yes_no_min_items`` judgement
items whose Yes share is outside 50% ± ``yes_no_tolerance``, the surplus of the majority
answer is flagged (``checks.yes_no_balance``, passed False, dropped by the export) — the least
confident first (lowest ``answer_check`` score), then by id — until the share is inside the
band. Smaller domains are reported, not touched: their ratio says little.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from visinstruct.config import VerifyConfig
from visinstruct.generate.validate import LETTERS
from visinstruct.records import KINDS, CheckResult

__all__ = ["ChoiceItem", "JudgementItem", "plan_choice_moves", "plan_yes_no", "quota_report"]


@dataclass(frozen=True)
class ChoiceItem:
    id: str
    domain: str
    letter: str
    movable: bool


@dataclass(frozen=True)
class JudgementItem:
    id: str
    domain: str
    yes: bool
    confidence: float
    """The answer check's score (1.0 when there is none): the least sure go first."""


def _targets(counts: Counter[str], overall: Counter[str]) -> dict[str, int]:
    n = sum(counts.values())
    base, extra = divmod(n, len(LETTERS))
    order = sorted(LETTERS, key=lambda L: (overall[L], -counts[L], L))
    return {L: base + (1 if L in order[:extra] else 0) for L in LETTERS}


def plan_choice_moves(items: Sequence[ChoiceItem]) -> dict[str, str]:
    """instruction id → the letter its answer should move to, domain by domain."""
    by_domain: dict[str, list[ChoiceItem]] = {}
    for item in items:
        if item.letter in LETTERS:
            by_domain.setdefault(item.domain, []).append(item)
    overall: Counter[str] = Counter()
    moves: dict[str, str] = {}
    for domain in sorted(by_domain):
        members = sorted(by_domain[domain], key=lambda i: i.id)
        counts = Counter(i.letter for i in members)
        targets = _targets(counts, overall)
        deficits = [L for L in LETTERS for _ in range(max(0, targets[L] - counts[L]))]
        for letter in LETTERS:
            surplus = counts[letter] - targets[letter]
            for item in (i for i in members if i.letter == letter and i.movable):
                if surplus <= 0 or not deficits:
                    break
                moves[item.id] = deficits.pop(0)
                surplus -= 1
        overall.update(targets)
    return moves


def swap_to(choices: Sequence[str], answer: str, target: str) -> tuple[list[str], str]:
    """``choices`` with the answer's option and the option at ``target`` swapped."""
    old, new = LETTERS.index(answer), LETTERS.index(target)
    reordered = list(choices)
    reordered[old], reordered[new] = reordered[new], reordered[old]
    return reordered, target


def _keep_at_most(minority: int, tolerance: float) -> int:
    return math.floor(minority * (0.5 + tolerance) / (0.5 - tolerance) + 1e-9)


def plan_yes_no(
    items: Sequence[JudgementItem], config: VerifyConfig
) -> tuple[list[CheckResult], dict[str, dict[str, float]]]:
    """``yes_no_balance`` verdicts for domains large enough to judge, and per domain the Yes
    share before and after (what the report shows for every domain)."""
    by_domain: dict[str, list[JudgementItem]] = {}
    for item in items:
        by_domain.setdefault(item.domain, []).append(item)
    results: list[CheckResult] = []
    shares: dict[str, dict[str, float]] = {}  # bools count as numbers here (JSON true/false)
    tol = config.yes_no_tolerance
    for domain in sorted(by_domain):
        members = by_domain[domain]
        yes = [i for i in members if i.yes]
        no = [i for i in members if not i.yes]
        share = len(yes) / len(members)
        row: dict[str, float] = {
            "items": len(members), "yes_share": round(share, 4), "after": round(share, 4),
            "skewed": abs(share - 0.5) > tol, "balanced": False,
        }  # fmt: skip
        shares[domain] = row
        if len(members) < config.yes_no_min_items:
            continue
        surplus_ids: set[str] = set()
        if abs(share - 0.5) > tol:
            major, minor = (yes, no) if len(yes) > len(no) else (no, yes)
            surplus = len(major) - _keep_at_most(len(minor), tol)
            ranked = sorted(major, key=lambda i: (i.confidence, i.id))
            surplus_ids = {i.id for i in ranked[: max(0, surplus)]}
            kept = len(members) - len(surplus_ids)
            kept_yes = len(yes) - (len(surplus_ids) if major is yes else 0)
            row["after"] = round(kept_yes / kept, 4) if kept else 0.0
            row["balanced"] = True
        word = "Yes" if share > 0.5 else "No"
        for item in members:
            flagged = item.id in surplus_ids
            reason = (
                f"surplus {word} answer in {domain!r} ({share:.0%} Yes); dropped to bring the "
                f"domain to {row['after']:.0%}"
                if flagged
                else f"{domain!r} is at {row['after']:.0%} Yes"
            )
            results.append(
                CheckResult(
                    instruction_id=item.id,
                    name="yes_no_balance",
                    passed=not flagged,
                    score=round(1 - abs(share - 0.5) * 2, 4),
                    reason=reason,
                    details={"domain_yes_share": round(share, 4)},
                )
            )
    return results, shares


def quota_report(
    kinds: Mapping[str, int],
    domains: Mapping[str, int],
    config: VerifyConfig,
    default_kind_shares: Mapping[str, float],
) -> dict[str, object]:
    """Kept kinds and domains against the configured targets (reported, never enforced)."""
    total = sum(kinds.values())
    targets = dict(config.kind_shares) or dict(default_kind_shares)
    weight = sum(targets.values()) or 1.0
    kind_rows = {}
    for kind in KINDS:
        if kind not in targets and not kinds.get(kind):
            continue
        share = kinds.get(kind, 0) / total if total else 0.0
        target = targets.get(kind, 0.0) / weight
        kind_rows[kind] = {
            "kept": kinds.get(kind, 0), "share": round(share, 4), "target": round(target, 4),
            "ok": abs(share - target) <= config.quota_tolerance,
        }  # fmt: skip
    domain_rows = {
        domain: {"kept": domains.get(domain, 0), "minimum": minimum,
                 "ok": domains.get(domain, 0) >= minimum}
        for domain, minimum in sorted(config.domain_minimums.items())
    }  # fmt: skip
    return {"kinds": kind_rows, "domains": domain_rows}
