"""What the review pages show, as plain data: queue filters read from a query string, and
instructions turned into the cards a page renders (and its script updates).

No HTML is built here: templates render these values with autoescaping on, and the page
script writes them with ``textContent``, so model output is always text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from visinstruct.records import KINDS, LANGUAGES, Instruction
from visinstruct.store.sqlite import ReviewFilter

__all__ = ["STATUSES", "card", "filter_from_query", "filter_query", "without_status"]

STATUSES = ("unreviewed", "accepted", "edited", "rejected", "flagged")
PLANS = ("plan", "flagged", "sample")
_CHECK_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_MAX_VALUE = 200
_KIND_LABEL = {
    "judgement": "Yes/No",
    "multiple_choice": "Multiple choice",
    "long_vqa": "Long answer",
    "short_vqa": "Short answer",
}


def _pick(query: Mapping[str, str], name: str, allowed: tuple[str, ...] | None) -> str | None:
    value = query.get(name, "").strip()
    if not value or len(value) > _MAX_VALUE:
        return None
    if allowed is not None and value not in allowed:
        return None
    return value


def filter_from_query(query: Mapping[str, str]) -> ReviewFilter:
    """The queue filter a query string asks for; values that cannot be valid are dropped."""
    check = _pick(query, "check", None)
    if check is not None and not _CHECK_NAME.match(check):
        check = None
    return ReviewFilter(
        domain=_pick(query, "domain", None),
        kind=_pick(query, "kind", KINDS),
        language=_pick(query, "language", LANGUAGES),
        status=_pick(query, "status", STATUSES),
        check=check,
        model=_pick(query, "model", None),
        plan=_pick(query, "plan", PLANS),
    )


def filter_query(f: ReviewFilter, **extra: Any) -> str:
    """The query string of a filter (plus ``extra``), for links that keep the queue."""
    fields = ("domain", "kind", "language", "status", "check", "model", "plan")
    pairs = [(name, getattr(f, name)) for name in fields if getattr(f, name)]
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


def _words(result: Mapping[str, Any]) -> str:
    """A check's verdict in words: its reason, else its other short text details."""
    reason = result.get("reason")
    if isinstance(reason, str) and reason.strip():
        return reason.strip()
    skip = {"passed", "score", "reason"}
    parts = [
        f"{k}: {v}"
        for k, v in sorted(result.items())
        if k not in skip and isinstance(v, str | int | float) and not isinstance(v, bool)
    ]
    return "; ".join(parts)


def _score(result: Mapping[str, Any]) -> str | None:
    """The score, where it says more than pass/fail (not exactly 0 or 1)."""
    score = result.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or score in (0, 1):
        return None
    return f"{score:.2f}"


def without_status(f: ReviewFilter) -> ReviewFilter:
    """The queue ``f`` regardless of review status: what its progress is counted over."""
    return replace(f, status=None)


def _check_rows(checks: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One readable line per check (name, pass/fail, reason in words, a meaningful score),
    failed ones first."""
    rows = []
    for name, result in checks.items():
        data = result if isinstance(result, dict) else {"reason": str(result)}
        passed = data.get("passed")
        text = _words(data)
        rows.append({
            "name": name,
            "passed": passed if isinstance(passed, bool) else None,
            "text": text if len(text) <= 200 else text[:199] + "…",
            "score": _score(data),
        })  # fmt: skip
    order = {False: 0, None: 1, True: 2}
    return sorted(rows, key=lambda r: (order[r["passed"]], r["name"]))


def card(
    instruction: Instruction,
    revision: str,
    others: list[dict[str, str]] | None = None,
    *,
    in_queue: bool = True,
    plan: str | None = None,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One instruction as a page shows it. ``revision``: what a save on it must present;
    ``others``: other reviewers' decisions; ``in_queue``: whether the queue the page was
    opened from holds it; ``plan``: why it is in the sampling plan, if it is; ``history``: its
    revisions after the generated one, oldest first."""
    answer = instruction.answer
    letters = "ABCD"[: len(instruction.choices)]
    return {
        "id": instruction.id,
        "revision": revision,
        "kind": instruction.kind,
        "kind_label": _KIND_LABEL[instruction.kind],
        "language": instruction.language,
        "question": instruction.question,
        "choices": list(instruction.choices),
        "answer": answer,
        "answer_index": letters.index(answer) if len(answer) == 1 and answer in letters else -1,
        "status": instruction.review_status,
        "model": instruction.provenance.model,
        "checks": _check_rows(instruction.checks),
        "others": others or [],
        "in_queue": in_queue,
        "plan": plan,
        "history": history or [],
    }
