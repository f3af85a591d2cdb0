"""What an export reads: the kept instructions of a project, grouped by image, with splits.

Every format writer reads through one :class:`ExportSource`, so filters, splits, image paths
and the escaping of trainers' special tokens are decided once and are the same in every format.

Image paths are relative to one image root (``export.image_root``, by default the deepest
folder holding every exported image), so a project folder can be moved or copied to a GPU
machine; each format writes that root where its trainer reads it (see ``card``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visinstruct.config import ProjectConfig
from visinstruct.errors import InputError
from visinstruct.expand import conversations_for_image
from visinstruct.export.split import SPLITS, assign_splits
from visinstruct.records import Conversation, ImageRecord, Instruction
from visinstruct.store import DatasetScope, Store

__all__ = [
    "ExportSource",
    "ImageGroup",
    "count_kept",
    "escape_reserved",
    "failed_a_check",
    "keeps_state",
]


@dataclass(frozen=True)
class ImageGroup:
    image: ImageRecord
    path: str
    """The image path as exports write it (relative to the image root, or absolute)."""
    split: str
    instructions: list[Instruction]


def escape_reserved(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` with every trainer token turned harmless: ``<image>`` → ``‹image›``.

    A literal ``<image>`` in a question is deleted by LLaVA's preprocessing and makes
    LLaMA-Factory and ms-swift count one image too many; ``<img>`` becomes InternVL's
    image-start token. The lookalike brackets keep the text readable and match no tokenizer's
    special token.
    """
    if pattern is None:
        return text
    return pattern.sub(lambda m: m.group(0).replace("<", "\u2039").replace(">", "\u203a"), text)


def failed_a_check(instruction: Instruction) -> bool:
    """True when a verification check recorded on the instruction did not pass."""
    return _any_failed(instruction.checks)


def _any_failed(checks: dict[str, Any]) -> bool:
    return any(isinstance(r, dict) and r.get("passed") is False for r in checks.values())


def keeps_state(config: ProjectConfig, review_status: str, checks: dict[str, Any]) -> bool:
    """The export's selection (review status, failed checks), the one definition: exports
    filter with it and the cost report counts with it."""
    e = config.export
    if review_status not in e.review_status:
        return False
    if review_status in ("accepted", "edited"):
        return True  # a person looked at it: their verdict outranks the automatic checks
    return not (e.drop_failed_checks and _any_failed(checks))


def count_kept(store: Store, config: ProjectConfig, scope: DatasetScope) -> int:
    """How many instructions of ``scope`` the export keeps."""
    return sum(keeps_state(config, s, c) for s, c in store.scope_states(scope))


@dataclass
class ExportSource:
    store: Store
    config: ProjectConfig
    scope: DatasetScope
    root: Path | None = None
    """The project folder (for project seed files, when figures rebuild generation requests)."""
    _splits: dict[str, str] = field(default_factory=dict, init=False)
    final_dir: Path | None = field(default=None, init=False)
    """Where the export folder being written will live once it is swapped into place."""
    _root: Path | None = field(default=None, init=False)
    _reserved: re.Pattern[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        index = self.store.instruction_index(self.scope)
        self._splits = assign_splits(index, self.config.export.split)
        tokens = self.config.export.reserved_tokens
        self._reserved = re.compile("|".join(f"(?:{t})" for t in tokens)) if tokens else None
        common = self._common_root(set(index))
        self._root = self.config.export.image_root or common

    def _common_root(self, image_ids: set[str]) -> Path | None:
        """The deepest folder holding every image in scope; every image must be there."""
        folders: set[str] = set()
        missing: list[str] = []
        for image in self.store.images():
            if image.id in image_ids:
                folders.add(str(Path(image.path).parent))
                if not Path(image.path).is_file():
                    missing.append(image.path)
        if missing:
            raise InputError(
                f"{len(missing)} images are no longer where collect found them (first: "
                f"{missing[0]}); if the project folder moved, run `visinstruct collect` in its "
                "new place first: it recognises moved images by their content"
            )
        return Path(os.path.commonpath(sorted(folders))) if folders else None

    @property
    def image_root(self) -> Path | None:
        """The folder relative image paths start from (None: paths are absolute)."""
        return None if self.config.export.absolute_image_paths else self._root

    def split_names(self) -> list[str]:
        """The splits that hold at least one image, in train / validation / test order."""
        present = set(self._splits.values())
        return [s for s in SPLITS if s in present]

    def split_of(self, image_id: str) -> str:
        return self._splits.get(image_id, "train")

    def image_path(self, image: ImageRecord) -> str:
        root = self.image_root
        if root is None:
            return image.path
        return Path(os.path.relpath(image.path, root)).as_posix()

    def _escaped(self, instruction: Instruction) -> Instruction:
        texts = [instruction.question, instruction.answer, *instruction.choices]
        clean = [escape_reserved(t, self._reserved) for t in texts]
        if clean == texts:
            return instruction
        return instruction.model_copy(
            update={"question": clean[0], "answer": clean[1], "choices": clean[2:]}
        )

    def keeps(self, instruction: Instruction) -> bool:
        """Whether the export filters (review status, failed checks) keep ``instruction``."""
        return self.keeps_state(instruction.review_status, instruction.checks)

    def keeps_state(self, review_status: str, checks: dict[str, Any]) -> bool:
        return keeps_state(self.config, review_status, checks)

    def count_kept(self) -> int:
        """How many instructions the export keeps: what "accepted" means in the cost report."""
        return count_kept(self.store, self.config, self.scope)

    def groups(self, split: str | None = None) -> Iterator[ImageGroup]:
        """Images with their kept instructions, optionally of one split only."""
        current: list[Instruction] = []
        for instruction in self.store.instructions(self.scope):
            if current and current[0].image_id != instruction.image_id:
                yield from self._group(current, split)
                current = []
            if self.keeps(instruction):
                current.append(self._escaped(instruction))
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

    def final_path(self, out_dir: Path, path: Path) -> Path:
        """The absolute path ``path`` (written under ``out_dir``) has after the swap."""
        return ((self.final_dir or out_dir) / path.relative_to(out_dir)).resolve()
