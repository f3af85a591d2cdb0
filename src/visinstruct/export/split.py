"""Train / validation / test by image, stratified by domain and kinds.

Splitting by instruction would put the same image on both sides of the split and let a model
score on test images it trained on. So whole images are assigned. How many images a split
gets is its share of *all* images (``test: 0.1`` of 21 images is 2), and those are spread over
the strata (domain × the kinds an image has) by largest remainder, so every domain keeps its
share without per-stratum rounding emptying a split: rounding 0.1 × 3 images in each of seven
strata separately gives 0. Within a stratum images are taken in a seeded hash order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

from visinstruct.config import SplitConfig

__all__ = ["SPLITS", "assign_splits"]

SPLITS = ("train", "validation", "test")

_Stratum = tuple[str, tuple[str, ...]]


def _order_key(seed: int, image_id: str) -> bytes:
    return hashlib.sha256(f"{seed}:{image_id}".encode()).digest()


def _apportion(
    sizes: Mapping[_Stratum, int], left: Mapping[_Stratum, int], share: float, budget: int
) -> dict[_Stratum, int]:
    """Images per stratum for one split: ``share`` of all images (half up, at least one when
    the share is above zero), capped by ``budget``, spread by largest remainder."""
    total = sum(sizes.values())
    if share <= 0 or budget <= 0:
        return {s: 0 for s in sizes}
    wanted = min(budget, max(1, math.floor(total * share + 0.5)))
    quota = {s: n * wanted / total for s, n in sizes.items()}
    given = {s: min(left[s], math.floor(q)) for s, q in quota.items()}
    # Largest fractional part first; ties in a fixed order (biggest stratum, then its name).
    order = sorted(sizes, key=lambda s: (-(quota[s] - math.floor(quota[s])), -sizes[s], s))
    while sum(given.values()) < wanted:
        grew = False
        for s in order:
            if sum(given.values()) < wanted and given[s] < left[s]:
                given[s] += 1
                grew = True
        if not grew:
            break
    return given


def assign_splits(
    index: Mapping[str, tuple[str, tuple[str, ...]]], config: SplitConfig
) -> dict[str, str]:
    """image id → split name, for every image in ``index`` (id → (domain, kinds))."""
    strata: dict[_Stratum, list[str]] = {}
    for image_id, stratum in index.items():
        strata.setdefault(stratum, []).append(image_id)
    for ids in strata.values():
        ids.sort(key=lambda i: _order_key(config.seed, i))
    sizes = {s: len(ids) for s, ids in strata.items()}
    budget = max(0, sum(sizes.values()) - 1)  # train always keeps at least one image
    n_test = _apportion(sizes, sizes, config.test, budget)
    left = {s: sizes[s] - n_test[s] for s in sizes}
    n_val = _apportion(sizes, left, config.validation, budget - sum(n_test.values()))
    assigned: dict[str, str] = {}
    for stratum, ids in strata.items():
        for pos, image_id in enumerate(ids):
            if pos < n_test[stratum]:
                assigned[image_id] = "test"
            elif pos < n_test[stratum] + n_val[stratum]:
                assigned[image_id] = "validation"
            else:
                assigned[image_id] = "train"
    return assigned
