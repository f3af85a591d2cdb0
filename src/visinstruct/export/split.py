"""Train / validation / test by image, stratified by domain and kinds.

Splitting by instruction would put the same image on both sides of the split and let a model
score on test images it trained on. So whole images are assigned; within each stratum
(domain × the kinds an image has) images are ordered by a seeded hash and cut by the
configured fractions, which keeps each domain's share the same on every side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from visinstruct.config import SplitConfig

__all__ = ["SPLITS", "assign_splits"]

SPLITS = ("train", "validation", "test")


def _order_key(seed: int, image_id: str) -> bytes:
    return hashlib.sha256(f"{seed}:{image_id}".encode()).digest()


def assign_splits(
    index: Mapping[str, tuple[str, tuple[str, ...]]], config: SplitConfig
) -> dict[str, str]:
    """image id → split name, for every image in ``index`` (id → (domain, kinds))."""
    strata: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for image_id, stratum in index.items():
        strata.setdefault(stratum, []).append(image_id)
    assigned: dict[str, str] = {}
    for ids in strata.values():
        ids.sort(key=lambda i: _order_key(config.seed, i))
        n = len(ids)
        n_test = round(n * config.test)
        n_val = round(n * config.validation)
        for pos, image_id in enumerate(ids):
            if pos < n_test:
                assigned[image_id] = "test"
            elif pos < n_test + n_val:
                assigned[image_id] = "validation"
            else:
                assigned[image_id] = "train"
    return assigned
