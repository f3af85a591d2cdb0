"""Executors schedule work units; they know nothing of concrete stages."""

from __future__ import annotations

from visinstruct.executors.base import Job, NullProgress, Progress, StageSummary, WorkUnit
from visinstruct.executors.local import LocalExecutor

__all__ = ["Job", "LocalExecutor", "NullProgress", "Progress", "StageSummary", "WorkUnit"]
