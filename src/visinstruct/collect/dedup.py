"""Near-duplicate clustering by perceptual hash, without an all-pairs loop.

Two forms of one search. :func:`near_pairs` and :func:`leader_pass` are what collect runs: the
whole pass as numpy array work (every pair within the distance found band by band with a
counting-sort table per band, checked with a vectorised popcount), then a short leader loop over
the few images that have any neighbour. :class:`BandIndex` is the same search one query at a time
in pure Python (incremental use, and the reference the vectorised pass is tested against: same
clusters). ``bench/dedup.py`` measures both: 1,000,000 hashes in well under two minutes, against
about 11.5 minutes for the one-query-at-a-time loop.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Generic, TypeVar

import numpy as np

from visinstruct.collect.phash import (
    COLOUR_TOLERANCE,
    HASH_BITS,
    colour_of,
    colours_close,
    hamming,
    hash_int,
)

__all__ = ["BandIndex", "Match", "bands_for", "leader_pass", "near_pairs", "pack_hashes"]

Array = np.ndarray[Any, Any]
_DENSE_BITS = 24  # bands up to this wide get a direct lookup table (2^24 offsets: 128 MB max)

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


# -- the whole pass at once, on arrays ---------------------------------------------------------


def pack_hashes(phashes: Sequence[str]) -> tuple[Array, Array]:
    """Stored hashes as arrays: the 64-bit shape hashes (uint64) and the mean colours
    (int16, n×3, -1 where a hash carries none), read as :func:`hash_int` and
    :func:`colour_of` read them (parsed as arrays; odd ones one by one)."""
    n = len(phashes)
    try:
        raw = np.array(phashes, dtype="S22").view(np.uint8).reshape(n, 22)
    except UnicodeEncodeError:  # not ASCII, so not ours: every one the slow way
        raw = np.zeros((n, 22), dtype=np.uint8)
    digit = np.full(256, -1, dtype=np.int16)
    for value, char in enumerate(b"0123456789abcdef"):
        digit[char] = value
        digit[ord(chr(char).upper())] = value
    nibbles = digit[raw]
    shape_ok = (nibbles[:, :16] >= 0).all(axis=1)
    hashes = np.zeros(n, dtype=np.uint64)
    for k in range(16):
        hashes = (hashes << np.uint64(4)) | nibbles[:, k].clip(0).astype(np.uint64)
    tail = nibbles[:, 16:22]
    tail_ok: Array = np.asarray((tail >= 0).all(axis=1))
    colours = np.where(tail_ok[:, None], tail[:, 0::2] * 16 + tail[:, 1::2], -1).astype(np.int16)
    odds: list[int] = np.flatnonzero(~shape_ok).tolist()
    for odd in odds:  # short or not hex: exactly as hash_int reads it
        hashes[odd] = hash_int(phashes[odd])
        colour = colour_of(phashes[odd])
        colours[odd] = colour if colour is not None else (-1, -1, -1)
    return hashes, colours


def _cuts(n: int, distance: int) -> list[tuple[int, int]]:
    m = bands_for(n, distance)
    width = HASH_BITS // m
    return [(i * width, HASH_BITS if i == m - 1 else (i + 1) * width) for i in range(m)]


def _band_pairs(hashes: Array, lo: int, hi: int, radius: int, distance: int) -> Iterator[Array]:
    """Pairs (as an n×2 array per flip mask) whose band [lo, hi) differs in at most
    ``radius`` bits and whose whole hashes are within ``distance``.

    A pair whose bands differ by a mask is met once: from the end whose band has the mask's
    top bit clear (so each mask queries half the hashes). int32 throughout: the lookups are
    memory-bound, and narrower arrays are the measured difference (``bench/dedup.py``)."""
    width = hi - lo
    band = ((hashes >> np.uint64(lo)) & np.uint64((1 << width) - 1)).astype(np.int64)
    order = np.argsort(band, kind="stable").astype(np.int32)
    dense = width <= _DENSE_BITS
    if dense:
        band = band.astype(np.int32)
        starts = np.zeros((1 << width) + 1, dtype=np.int32)
        np.cumsum(np.bincount(band, minlength=1 << width), out=starts[1:])
    else:
        sorted_band = band[order]
    ids = np.arange(len(hashes), dtype=np.int32)
    clear: dict[int, tuple[Array, Array]] = {}
    for mask in _flip_masks(width, radius):
        top = mask.bit_length() - 1
        if top < 0:
            who, values = ids, band
        else:
            if top not in clear:
                pick = np.flatnonzero(((band >> top) & 1) == 0).astype(np.int32)
                clear[top] = pick, band[pick]
            who, values = clear[top]
        query = values ^ mask
        if dense:
            first, last = starts[query], starts[query + 1]
        else:
            first = np.searchsorted(sorted_band, query, "left")
            last = np.searchsorted(sorted_band, query, "right")
        count = last - first
        hit = np.flatnonzero(count)
        if hit.size == 0:
            continue
        count, first = count[hit], first[hit]
        total = int(count.sum())
        run = np.repeat(np.cumsum(count) - count, count)
        src = np.repeat(who[hit], count)
        dst = order[np.arange(total, dtype=np.int64) - run + np.repeat(first, count)]
        if top < 0:  # the same band: each pair met from both ends, and each hash meets itself
            keep = src < dst
            src, dst = src[keep], dst[keep]
        close = np.bitwise_count(hashes[src] ^ hashes[dst]) <= distance
        src, dst = src[close].astype(np.int64), dst[close].astype(np.int64)
        yield np.stack([np.minimum(src, dst), np.maximum(src, dst)], axis=1)


def near_pairs(hashes: Array, colours: Array, distance: int) -> tuple[Array, Array, Array]:
    """Every pair (i < j) within Hamming ``distance`` whose mean colours are close, as arrays
    (i, j, distance), sorted by i then j. Exact: by pigeonhole, such a pair has a band within
    ``distance // bands`` bits, and every band value that near is looked up."""
    n = len(hashes)
    empty = np.zeros(0, dtype=np.int64)
    if n < 2:
        return empty, empty, empty
    cuts = _cuts(n, distance)
    radius = distance // len(cuts)
    found = [p for lo, hi in cuts for p in _band_pairs(hashes, lo, hi, radius, distance)]
    if not found:
        return empty, empty, empty
    pairs = np.concatenate(found)
    keys = np.unique(pairs[:, 0] * n + pairs[:, 1])  # a pair may be met in several bands
    src, dst = keys // n, keys % n
    a, b = colours[src].astype(np.int32), colours[dst].astype(np.int32)
    unknown = (a[:, 0] < 0) | (b[:, 0] < 0)
    ok = unknown | (np.abs(a - b).max(axis=1) <= COLOUR_TOLERANCE)
    src, dst = src[ok], dst[ok]
    return src, dst, np.bitwise_count(hashes[src] ^ hashes[dst]).astype(np.int64)


def leader_pass(
    hashes: Array,
    colours: Array,
    distance: int,
    kept: int,
    order: Iterable[int],
    demote: Callable[[int, int, int], bool],
) -> list[int]:
    """Leader clustering, as :class:`BandIndex` does it one query at a time.

    Hashes ``0..kept-1`` are kept images already; the others are taken in ``order``: each
    joins the nearest kept image within ``distance`` (the earliest kept on a tie), which
    ``demote(image, kept_image, distance)`` records (False: it cannot be demoted, it stays),
    or becomes a kept image itself. Returns the images of ``order`` that were kept."""
    src, dst, dist = near_pairs(hashes, colours, distance)
    n = len(hashes)
    # Both directions, grouped by the image asking: its neighbours and their distances.
    ask = np.concatenate([src, dst])
    other = np.concatenate([dst, src])
    both = np.concatenate([dist, dist])
    by = np.argsort(ask, kind="stable")
    ask, other, both = ask[by], other[by], both[by]
    starts: list[int] = np.searchsorted(ask, np.arange(n + 1)).tolist()
    others: list[int] = other.tolist()
    gaps: list[int] = both.tolist()
    slot = list(range(kept)) + [-1] * (n - kept)  # insertion rank of kept images, else -1
    next_slot = kept
    stayed: list[int] = []
    for image in order:
        best: tuple[int, int, int] | None = None
        for k in range(starts[image], starts[image + 1]):
            rank = slot[others[k]]
            if rank >= 0 and (best is None or (gaps[k], rank) < best[:2]):
                best = (gaps[k], rank, others[k])
        if best is not None and demote(image, best[2], best[0]):
            continue
        slot[image] = next_slot
        next_slot += 1
        stayed.append(image)
    return stayed
