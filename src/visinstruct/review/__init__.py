"""Step (f), manual correction: reviewers, review actions with an audit trail, a sampling
plan and the error rate it estimates, reviewer agreement, and the measured cost.

The web app lives in :mod:`visinstruct.review.app` and needs the ``review`` extra
(``pip install 'visinstruct[review]'``); everything exported here needs only the core.
"""

from __future__ import annotations

from visinstruct.review.auth import (
    ROLES,
    Reviewer,
    Role,
    add_reviewer,
    hash_token,
    identify,
    remove_reviewer,
    rotate_token,
)
from visinstruct.review.cost import CostSummary, cost_summary
from visinstruct.review.quality import (
    Agreement,
    ErrorEstimate,
    SamplePlan,
    agreement,
    build_sample_plan,
    estimate_error,
)
from visinstruct.review.service import (
    ACTIONS,
    Edit,
    ReviewProblem,
    ReviewService,
    UnknownInstruction,
)

__all__ = [
    "ACTIONS",
    "ROLES",
    "Agreement",
    "CostSummary",
    "Edit",
    "ErrorEstimate",
    "ReviewProblem",
    "ReviewService",
    "Reviewer",
    "Role",
    "SamplePlan",
    "UnknownInstruction",
    "add_reviewer",
    "agreement",
    "build_sample_plan",
    "cost_summary",
    "estimate_error",
    "hash_token",
    "identify",
    "remove_reviewer",
    "rotate_token",
]
