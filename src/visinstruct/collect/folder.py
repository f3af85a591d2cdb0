"""Collect images from a folder tree: the first sub-folder under the root names the domain.

Every file is decoded in full before it is accepted; whatever cannot be used is recorded as
rejected with the reason. Files already collected with the same size and mtime are skipped, so
a rerun over a large folder costs a directory walk, not a re-decode.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.collect.checks import CheckLimits, Inspected, inspect_bytes
from visinstruct.collect.report import CollectReport
from visinstruct.collect.sources import Candidate, folder_source
from visinstruct.errors import InputError
from visinstruct.records import ImageRecord, Rejection
from visinstruct.store import Store

__all__ = [
    "CollectReport",
    "admit_image",
    "collect_folder",
    "domain_name",
    "inspect_image",
    "walk_folder",
]


def domain_name(folder: str) -> str:
    """A domain identifier from a folder name: ``Image Quality`` → ``image_quality``."""
    return re.sub(r"[^0-9a-z_]+", "_", folder.strip().lower()).strip("_") or "unsorted"


def walk_folder(root: Path, default_domain: str) -> Iterator[tuple[Path, str]]:
    """(file, domain) for every file under ``root``, in a stable order, no symlink followed
    out of the root."""
    for item in folder_source(root):
        if isinstance(item, Candidate) and item.file is not None:
            yield item.file, item.domain or default_domain


def inspect_image(
    path: Path, domain: str, limits: CheckLimits | None = None
) -> ImageRecord | Rejection:
    """Decode ``path`` fully and describe it, or say why it cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Rejection(path=str(path), reason=f"unreadable: {exc.strerror or exc}")
    found = inspect_bytes(data, str(path.resolve()), domain, limits)
    if isinstance(found, Inspected):
        return found.record
    return Rejection(path=str(path), reason=found.reason)


def admit_image(
    store: Store,
    path: Path,
    domain: str,
    *,
    source: str,
    prior: dict[str, Any] | None = None,
) -> tuple[ImageRecord, bool]:
    """Bring one image an importer names into the store: (its record, whether it was new).

    An image already in the store (same bytes) is reused as it is, whatever path or importer
    brought it first. Raises :class:`InputError` with the reason when the file is unusable.
    """
    found = inspect_image(path, domain)
    if isinstance(found, Rejection):
        raise InputError(f"image {path} cannot be used: {found.reason}")
    if store.image_id_with_hash(found.id) is not None:
        return store.image(found.id), False
    record = found.model_copy(update={"source": source, "prior": dict(prior or {})})
    stat = path.stat()
    store.record_image(record, stat.st_size, stat.st_mtime)
    return record, True


def collect_folder(store: Store, root: Path, default_domain: str) -> CollectReport:
    """Collect every image under ``root`` into ``store``; rejects are recorded, not raised.

    Checks and exact duplicates only; a project collect adds the near-duplicate pass.
    """
    from visinstruct.collect.pipeline import Collector, CollectSettings

    if not root.is_dir():
        raise InputError(f"{root}: not a folder of images; pass a folder (sub-folder = domain)")
    collector = Collector(
        store, CollectSettings(default_domain=default_domain, near_duplicate_distance=0)
    )
    collector.add(folder_source(root))
    return collector.finish()
