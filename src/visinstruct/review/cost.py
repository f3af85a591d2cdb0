"""What the data cost, measured: model calls per stage plus review time, per accepted
instruction, against writing the instructions by hand.

"Accepted" means what the export keeps under the project's export filters (review statuses in
``export.review_status``, and no failed check when ``export.drop_failed_checks``): with a
sampling plan most shipped instructions are never opened, and they count, because that is the
data the money bought. Of those, ``reviewed_kept`` are the ones a reviewer accepted or edited:
what the admin page calls accepted, so unreviewed items are never shown as accepted. The paper
reports the engine at about 1/6 of manual construction; the ratio here is that figure measured
on the user's own project, with the rates in ``review.hourly_rate_usd`` and
``review.manual_minutes_per_instruction``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visinstruct.config import ProjectConfig
from visinstruct.export.source import count_kept
from visinstruct.review.quality import ErrorEstimate, estimate_error
from visinstruct.scope import dataset_scope
from visinstruct.store import Store

__all__ = ["CostSummary", "cost_summary"]


@dataclass(frozen=True)
class CostSummary:
    model_cost_usd: dict[str, float]
    review_seconds: float
    hourly_rate_usd: float
    accepted: int
    status_counts: dict[str, int]
    manual_minutes_per_instruction: float
    error: ErrorEstimate
    accepted_statuses: list[str] = field(default_factory=list)
    reviewed_kept: int = 0  # of ``accepted``: those a reviewer accepted or edited

    @property
    def model_total_usd(self) -> float:
        return sum(self.model_cost_usd.values())

    @property
    def review_hours(self) -> float:
        return self.review_seconds / 3600

    @property
    def review_cost_usd(self) -> float:
        return self.review_hours * self.hourly_rate_usd

    @property
    def total_usd(self) -> float:
        return self.model_total_usd + self.review_cost_usd

    @property
    def cost_per_accepted_usd(self) -> float | None:
        return self.total_usd / self.accepted if self.accepted else None

    @property
    def manual_per_instruction_usd(self) -> float:
        return self.manual_minutes_per_instruction / 60 * self.hourly_rate_usd

    @property
    def ratio_to_manual(self) -> float | None:
        """Cost per accepted instruction over the manual cost of one (the paper: ~1/6)."""
        per = self.cost_per_accepted_usd
        manual = self.manual_per_instruction_usd
        return None if per is None or manual == 0 else per / manual

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_cost_usd": {k: round(v, 6) for k, v in self.model_cost_usd.items()},
            "model_total_usd": round(self.model_total_usd, 6),
            "review_seconds": round(self.review_seconds, 3),
            "review_hours": round(self.review_hours, 4),
            "hourly_rate_usd": self.hourly_rate_usd,
            "review_cost_usd": round(self.review_cost_usd, 6),
            "total_usd": round(self.total_usd, 6),
            "accepted": self.accepted,
            "accepted_statuses": self.accepted_statuses,
            "reviewed_kept": self.reviewed_kept,
            "statuses": self.status_counts,
            "cost_per_accepted_usd": _round(self.cost_per_accepted_usd),
            "manual_minutes_per_instruction": self.manual_minutes_per_instruction,
            "manual_per_instruction_usd": round(self.manual_per_instruction_usd, 6),
            "ratio_to_manual": _round(self.ratio_to_manual),
            "error_estimate": self.error.as_dict(),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def cost_summary(store: Store, config: ProjectConfig) -> CostSummary:
    """Join the call ledger with review time and the project's rates. "Accepted" is counted
    by the export's own selection over the project's dataset scope, so the two never
    diverge."""
    statuses = [str(s) for s in config.export.review_status]
    accepted = count_kept(store, config, dataset_scope(config))
    counts = store.review_status_counts()
    return CostSummary(
        model_cost_usd={s: store.call_totals(s).cost_usd for s in store.call_stages()},
        review_seconds=store.review_seconds(),
        hourly_rate_usd=config.review.hourly_rate_usd,
        accepted=accepted,
        status_counts=counts,
        manual_minutes_per_instruction=config.review.manual_minutes_per_instruction,
        error=estimate_error(store),
        accepted_statuses=statuses,
        reviewed_kept=sum(counts.get(s, 0) for s in ("accepted", "edited") if s in statuses),
    )
