"""What an export reads: the kept instructions of a project, grouped by image, with splits.

Every format writer reads through one :class:`ExportSource`, so filters, splits and image
paths are decided once and are the same in every format.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.config import ProjectConfig
from visinstruct.expand import conversations_for_image
from visinstruct.export.split import SPLITS, assign_splits
from visinstruct.records import Conversation, ImageRecord, Instruction
from visinstruct.store import DatasetScope, Store

__all__ = ["ExportSource", "ImageGroup", "failed_a_check"]


@dataclass(frozen=True)
class ImageGroup:
    image: ImageRecord
    path: str
    """The image path as exports write it (absolute, or relative to ``export.image_root``)."""
    split: str
    instructions: list[Instruction]


def failed_a_check(instruction: Instruction) -> bool:
    """True when a verification check recorded on the instruction did not pass."""
    for result in instruction.checks.values():
        if isinstance(result, dict) and result.get("passed") is False:
            return True
    return False


@dataclass
class ExportSource:
    store: Store
    config: ProjectConfig
    scope: DatasetScope
    root: Path | None = None
    """The project folder (for project seed files, when figures rebuild generation requests)."""
    _splits: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        index = self.store.instruction_index(self.scope)
        self._splits = assign_splits(index, self.config.export.split)

    def split_names(self) -> list[str]:
        """The splits that hold at least one image, in train / validation / test order."""
        present = set(self._splits.values())
        return [s for s in SPLITS if s in present]

    def split_of(self, image_id: str) -> str:
        return self._splits.get(image_id, "train")

    def image_path(self, image: ImageRecord) -> str:
        root = self.config.export.image_root
        return image.path if root is None else os.path.relpath(image.path, root)

    def keeps(self, instruction: Instruction) -> bool:
        """Whether the export filters (review status, failed checks) keep ``instruction``."""
        e = self.config.export
        if instruction.review_status not in e.review_status:
            return False
        if instruction.review_status in ("accepted", "edited"):
            return True  # a person looked at it: their verdict outranks the automatic checks
        return not (e.drop_failed_checks and failed_a_check(instruction))

    def count_kept(self) -> int:
        """How many instructions the export keeps: what "accepted" means in the cost report."""
        return sum(1 for i in self.store.instructions(self.scope) if self.keeps(i))

    def groups(self, split: str | None = None) -> Iterator[ImageGroup]:
        """Images with their kept instructions, optionally of one split only."""
        current: list[Instruction] = []
        for instruction in self.store.instructions(self.scope):
            if current and current[0].image_id != instruction.image_id:
                yield from self._group(current, split)
                current = []
            if self.keeps(instruction):
                current.append(instruction)
        if current:
            yield from self._group(current, split)

    def _group(self, instructions: list[Instruction], split: str | None) -> Iterator[ImageGroup]:
        image_id = instructions[0].image_id
        image_split = self.split_of(image_id)
        if split is not None and image_split != split:
            return
        image = self.store.image(image_id)
        yield ImageGroup(image, self.image_path(image), image_split, instructions)

    def conversations(self, split: str | None = None) -> Iterator[tuple[Conversation, ImageGroup]]:
        turns = self.config.export.turns
        for group in self.groups(split):
            for conversation in conversations_for_image(
                group.instructions, group.image, group.path, turns
            ):
                yield conversation, group

    def file_name(self, stem: str, split: str, suffix: str) -> str:
        """``stem.suffix`` when everything is train, else ``stem_<split>.suffix``."""
        if self.split_names() in ([], ["train"]):
            return f"{stem}{suffix}"
        return f"{stem}_{split}{suffix}"

    def out_path(self, out_dir: Path, stem: str, split: str, suffix: str) -> Path:
        return out_dir / self.file_name(stem, split, suffix)
