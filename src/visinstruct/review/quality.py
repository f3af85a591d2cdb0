"""What review tells about the data: a sampling plan, the error rate it estimates, and how
often two reviewers agree.

The plan takes every flagged instruction (a failed verification check, or flagged by a
reviewer) plus a stratified random sample of the rest: per domain/kind/language stratum, the
``ceil(rate * n)`` instructions whose seeded hash is smallest. Hash order makes the draw
reproducible and stable as a project grows (an instruction sampled once stays sampled at the
same rate and seed). Only the sample, never the flagged items, estimates the error rate of the
unreviewed rest: the flagged ones were chosen because they looked wrong.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from visinstruct.store import Store

__all__ = [
    "Agreement",
    "ErrorEstimate",
    "SamplePlan",
    "agreement",
    "build_sample_plan",
    "estimate_error",
]

_Z95 = 1.959964
_DONE = {"accepted": False, "edited": True, "rejected": True}  # reviewed → needed a fix?
_VERDICT = {"accepted": "keep", "edited": "keep", "rejected": "drop"}


@dataclass(frozen=True)
class SamplePlan:
    flagged: int
    sampled: int
    strata: int
    rate: float
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _draw_key(seed: int, instruction_id: str) -> str:
    return hashlib.sha256(f"{seed}:{instruction_id}".encode()).hexdigest()


def build_sample_plan(store: Store, rate: float, seed: int) -> SamplePlan:
    """Replace the project's sampling plan with every flagged item plus a stratified sample.

    Streams in two passes over the instructions: the first counts each stratum (and keeps
    the flagged ones, all of which are in the plan), the second keeps, per stratum, only the
    ``k`` smallest draw keys seen so far. Memory is the plan's, not the dataset's."""
    if not 0 < rate <= 1:
        raise ValueError(f"sample rate must be in (0, 1], got {rate}")
    sizes: dict[str, int] = defaultdict(int)
    flagged: dict[str, list[str]] = defaultdict(list)
    for instruction_id, stratum, is_flagged in store.iter_review_strata():
        if is_flagged:
            flagged[stratum].append(instruction_id)
        else:
            sizes[stratum] += 1
    wanted = {s: min(n, math.ceil(rate * n)) for s, n in sizes.items()}
    best: dict[str, list[tuple[int, str]]] = defaultdict(list)  # max-heaps of (-key, id)
    for instruction_id, stratum, is_flagged in store.iter_review_strata():
        if is_flagged or not wanted[stratum]:
            continue
        entry = (-int(_draw_key(seed, instruction_id), 16), instruction_id)
        heap = best[stratum]
        if len(heap) < wanted[stratum]:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    rows = [(i, s, "flagged", len(ids)) for s, ids in flagged.items() for i in ids]
    for stratum in sizes:
        chosen = sorted(best[stratum], reverse=True)  # smallest draw key first
        rows += [(i, stratum, "sample", sizes[stratum]) for _, i in chosen]
    sampled = sum(wanted.values())
    store.replace_review_sample(rows)
    return SamplePlan(
        flagged=len(rows) - sampled,
        sampled=sampled,
        strata=len(sizes),
        rate=rate,
        seed=seed,
    )


@dataclass(frozen=True)
class ErrorEstimate:
    """The share of unflagged instructions that needed an edit or removal, estimated from the
    reviewed part of the sample (stratified, weighted by stratum size), with a 95% interval."""

    sampled: int
    reviewed: int
    errors: int
    rejected: int
    population: int
    rate: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _wilson(p: float, n: float) -> tuple[float, float]:
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate_error(store: Store) -> ErrorEstimate:
    """Estimate the error rate of the unreviewed rest from the sampling plan's reviews."""
    size: dict[str, int] = {}
    reviewed: dict[str, list[bool]] = defaultdict(list)
    sampled = rejected = 0
    for _id, stratum, reason, stratum_size, status in store.review_sample_outcomes():
        if reason != "sample":
            continue
        sampled += 1
        size[stratum] = stratum_size
        if status in _DONE:
            reviewed[stratum].append(_DONE[status])
            rejected += status == "rejected"
    population = sum(size.values())
    n = sum(len(v) for v in reviewed.values())
    errors = sum(sum(v) for v in reviewed.values())
    if n == 0:
        return ErrorEstimate(sampled, 0, 0, 0, population, None, None, None)
    covered = sum(size[s] for s in reviewed)
    rate = variance = 0.0
    for stratum, outcomes in reviewed.items():
        weight, n_h = size[stratum] / covered, len(outcomes)
        p_h = sum(outcomes) / n_h
        rate += weight * p_h
        fpc = 1 - n_h / size[stratum] if size[stratum] > 1 else 0.0
        variance += weight * weight * p_h * (1 - p_h) / n_h * fpc
    # Wilson at the design's effective sample size: sane at rates of 0 or 1, where the
    # normal interval collapses to a point.
    n_eff = rate * (1 - rate) / variance if variance > 0 else float(n)
    low, high = _wilson(rate, max(n_eff, 1.0))
    return ErrorEstimate(sampled, n, errors, rejected, population, rate, low, high)


@dataclass(frozen=True)
class Agreement:
    """How often reviewers who decided the same instruction agree.

    ``exact``: same status; ``keep_drop``: same verdict (accepted or edited = keep, rejected =
    drop; pairs involving a flag are left out); ``chance_corrected``: Scott's pi of the
    keep/drop verdicts (1 = perfect, 0 = what chance gives).
    """

    items: int
    pairs: int
    exact: float | None
    keep_drop: float | None
    chance_corrected: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def agreement(store: Store) -> Agreement:
    by_item: dict[str, list[str]] = defaultdict(list)
    for instruction_id, _reviewer, status in store.shared_decisions():
        by_item[instruction_id].append(status)
    pairs = [pair for statuses in by_item.values() for pair in combinations(statuses, 2)]
    if not pairs:
        return Agreement(len(by_item), 0, None, None, None)
    exact = sum(a == b for a, b in pairs) / len(pairs)
    verdicts = [(_VERDICT[a], _VERDICT[b]) for a, b in pairs if a in _VERDICT and b in _VERDICT]
    if not verdicts:
        return Agreement(len(by_item), len(pairs), exact, None, None)
    observed = sum(a == b for a, b in verdicts) / len(verdicts)
    keep = sum((a == "keep") + (b == "keep") for a, b in verdicts) / (2 * len(verdicts))
    expected = keep * keep + (1 - keep) * (1 - keep)
    pi = 1.0 if expected >= 1 else (observed - expected) / (1 - expected)
    return Agreement(len(by_item), len(pairs), exact, observed, pi)
