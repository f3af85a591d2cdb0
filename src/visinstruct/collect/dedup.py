"""Near-duplicate clustering by perceptual hash, without an all-pairs loop.

Multi-index hashing: the 64-bit hash is cut into ``m`` bands. Two hashes within Hamming
distance ``d`` have, by pigeonhole, at least one band within ``d // m`` of each other, so a query
only looks up the hashes whose band equals one of the few values within that radius of its own
band. Bands are chosen about ``log2(n)`` bits long, so a bucket holds a handful of hashes at any
collection size and the work grows about linearly with ``n`` (``bench/collect.py`` measures it).

A candidate must also have a close mean colour (see ``phash``). Clustering is by leader:
images are taken best first (the keep rule); each joins the nearest kept image within ``d`` or
becomes a kept image itself. So every duplicate points at a kept image it is itself within
``d`` of, and chains of small changes never merge distant pictures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Generic, TypeVar

from visinstruct.collect.phash import HASH_BITS, colours_close, hamming

__all__ = ["BandIndex", "Match", "bands_for"]

K = TypeVar("K")


def bands_for(n: int, distance: int) -> int:
    """How many bands to cut hashes into for ``n`` hashes searched within ``distance``."""
    bits = max(8, math.ceil(math.log2(max(n, 2))))
    return max(1, min(distance + 1, HASH_BITS // bits))


def _flip_masks(width: int, radius: int) -> list[int]:
    """Every ``width``-bit mask with at most ``radius`` bits set."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(width), r):
            mask = 0
            for b in bits:
                mask |= 1 << b
            masks.append(mask)
    return masks


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    distance: int


class BandIndex(Generic[K]):
    """Hashes added with a key; :meth:`nearest` finds the closest one within ``distance``."""

    def __init__(self, distance: int, expected: int):
        self.distance = distance
        m = bands_for(expected, distance)
        width = HASH_BITS // m
        self._cuts = [(i * width, HASH_BITS if i == m - 1 else (i + 1) * width) for i in range(m)]
        self._radius = distance // m
        self._masks = {hi - lo: _flip_masks(hi - lo, self._radius) for lo, hi in self._cuts}
        self._tables: list[dict[int, list[int]]] = [{} for _ in self._cuts]
        self._hashes: list[int] = []
        self._colours: list[tuple[int, int, int] | None] = []
        self._keys: list[K] = []

    def __len__(self) -> int:
        return len(self._keys)

    def _band_values(self, value: int) -> Iterator[tuple[int, int, int]]:
        for i, (lo, hi) in enumerate(self._cuts):
            yield i, hi - lo, (value >> lo) & ((1 << (hi - lo)) - 1)

    def add(self, value: int, key: K, colour: tuple[int, int, int] | None = None) -> None:
        slot = len(self._keys)
        self._hashes.append(value)
        self._colours.append(colour)
        self._keys.append(key)
        for i, _, band in self._band_values(value):
            self._tables[i].setdefault(band, []).append(slot)

    def nearest(self, value: int, colour: tuple[int, int, int] | None = None) -> Match[K] | None:
        """The closest added hash within the distance whose mean colour is close (earliest
        added on a tie), or None."""
        best: tuple[int, int] | None = None
        seen: set[int] = set()
        for i, width, band in self._band_values(value):
            table = self._tables[i]
            for mask in self._masks[width]:
                for slot in table.get(band ^ mask, ()):
                    if slot in seen:
                        continue
                    seen.add(slot)
                    d = hamming(value, self._hashes[slot])
                    if d > self.distance or (best is not None and (d, slot) >= best):
                        continue
                    if colours_close(colour, self._colours[slot]):
                        best = (d, slot)
        return None if best is None else Match(self._keys[best[1]], best[0])

    def extend(self, items: Iterable[tuple[int, K, tuple[int, int, int] | None]]) -> None:
        for value, key, colour in items:
            self.add(value, key, colour)
