"""The dataset a project's readers share: one definition for export, stats, verification,
review and the cost report.

The rows themselves are chosen by the store (``store._rows.scoped``); this module says which
scope the project's settings ask for. By default that is the live dataset — per image and
language, the latest completed generation over the caption it was made from, plus imported
instructions when ``export.include_imports`` — so editing a setting never empties it: the
dataset moves only when a run under the new settings completes. A pinned version
(``visinstruct dataset pin NAME``) is exported again later exactly as it was.
"""

from __future__ import annotations

from visinstruct.config import ProjectConfig
from visinstruct.store import DatasetScope

__all__ = ["DatasetScope", "dataset_scope"]


def dataset_scope(config: ProjectConfig, version: str | None = None) -> DatasetScope:
    """The scope every reader of this project uses (``version``: a pinned dataset)."""
    return DatasetScope(include_imports=config.export.include_imports, version=version)
