"""Progress bars per stage: done / failed / rate / ETA / cost so far."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["RichProgress", "counting_bar"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("  -- /s" if speed is None else f"{speed:6.1f}/s")


class RichProgress:
    """Implements the executor's Progress protocol with rich bars on stderr."""

    def __init__(self, console: Console):
        self._bars = Progress(
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            _RateColumn(),
            TimeRemainingColumn(),
            TextColumn("${task.fields[cost]:.4f}"),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._failed: dict[str, int] = {}
        self._cost: dict[str, float] = {}

    def stage_started(self, stage: str, total: int, done: int) -> None:
        if not self._tasks:
            self._bars.start()
        self._failed[stage] = 0
        self._cost[stage] = 0.0
        self._tasks[stage] = self._bars.add_task(
            stage, total=total, completed=done, failed=0, cost=0.0
        )

    def unit_finished(self, stage: str, ok: bool) -> None:
        if not ok:
            self._failed[stage] += 1
        self._bars.update(self._tasks[stage], advance=1, failed=self._failed[stage])

    def cost_added(self, stage: str, usd: float) -> None:
        self._cost[stage] += usd
        self._bars.update(self._tasks[stage], cost=self._cost[stage])

    def stage_finished(self, stage: str) -> None:
        self._bars.refresh()

    def close(self) -> None:
        self._bars.stop()


@contextmanager
def counting_bar(console: Console, label: str) -> Iterator[Callable[[], None]]:
    """A bar for work of unknown size (collect streams its sources): count, rate and time
    so far; yields the callback to call once per item."""
    bars = Progress(
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        TextColumn("{task.completed} files"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bars.add_task(label, total=None)
    with bars:
        yield lambda: bars.advance(task)
