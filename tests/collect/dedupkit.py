"""The near-duplicate pass collect ran before the vectorised one (a BandIndex queried one
image at a time): the oracle the tests and ``bench/dedup.py`` compare the new pass against."""

from __future__ import annotations

from visinstruct.collect.dedup import BandIndex


def reference_pass(
    phashes: list[str], kept: int, order: list[int], distance: int
) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """The one-query-at-a-time pass collect ran before (BandIndex), as the oracle."""
    from visinstruct.collect.phash import colour_of, hash_int

    index: BandIndex[int] = BandIndex(distance, len(phashes))
    for n in range(kept):
        index.add(hash_int(phashes[n]), n, colour_of(phashes[n]))
    stayed, joined = [], {}
    for n in order:
        match = index.nearest(hash_int(phashes[n]), colour_of(phashes[n]))
        if match is not None:
            joined[n] = (match.key, match.distance)
            continue
        index.add(hash_int(phashes[n]), n, colour_of(phashes[n]))
        stayed.append(n)
    return stayed, joined
