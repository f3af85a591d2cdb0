"""Near-duplicate pass benchmark: the vectorised pass collect runs (``leader_pass``) on up to a
million stored hashes, and its clusters checked against the one-query-at-a-time
:class:`BandIndex` pass on a smaller set.

    python bench/dedup.py --sizes 100000 1000000 [--compare 100000]

Hashes are in stored form (16 hex digits of shape + 6 of mean colour): random pictures, 2% of
them with a planted copy within 4 bits and a few colour units, distance 8; 10% of each set is
"kept from an earlier run", the rest is taken in a keep-rule order. Each size runs in a fresh
subprocess so its peak RSS is its own. Prints Markdown; results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# tests/collect directly: bench/collect.py would shadow a "collect" package
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "collect")]

from dedupkit import reference_pass  # noqa: E402  (the oracle the tests use)


def hashes(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        base = rng.getrandbits(63)
        colour = [rng.randrange(256) for _ in range(3)]
        out.append(f"{base:016x}" + "".join(f"{c:02x}" for c in colour))
        if rng.random() < 0.02:
            for bit in rng.sample(range(63), rng.randint(0, 4)):
                base ^= 1 << bit
            shade = [min(255, max(0, c + rng.randint(-5, 5))) for c in colour]
            out.append(f"{base:016x}" + "".join(f"{c:02x}" for c in shade))
    return out[:n]


def _vectorised(
    phashes: list[str], kept: int, order: list[int]
) -> tuple[list[int], dict[int, tuple[int, int]], float]:
    from visinstruct.collect.dedup import leader_pass, pack_hashes

    joined: dict[int, tuple[int, int]] = {}

    def demote(image: int, leader: int, gap: int) -> bool:
        joined[image] = (leader, gap)
        return True

    start = time.perf_counter()
    packed, colours = pack_hashes(phashes)
    stayed = leader_pass(packed, colours, 8, kept, order, demote)
    return stayed, joined, time.perf_counter() - start


def _band_index(
    phashes: list[str], kept: int, order: list[int]
) -> tuple[list[int], dict[int, tuple[int, int]], float]:
    start = time.perf_counter()
    stayed, joined = reference_pass(phashes, kept, order, 8)
    return stayed, joined, time.perf_counter() - start


def _setup(n: int) -> tuple[list[str], int, list[int]]:
    phashes = hashes(n, seed=n)
    kept = n // 10
    order = sorted(range(kept, n), key=lambda i: (-(i * 7919 % 13), i))
    return phashes, kept, order


def run_one(n: int, compare: bool) -> dict[str, object]:
    phashes, kept, order = _setup(n)
    stayed, joined, seconds = _vectorised(phashes, kept, order)
    row: dict[str, object] = {"n": n, "seconds": seconds, "duplicates": len(joined)}
    if compare:
        ref_stayed, ref_joined, ref_seconds = _band_index(phashes, kept, order)
        row["reference_seconds"] = ref_seconds
        row["same"] = stayed == ref_stayed and joined == ref_joined
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--compare", type=int, nargs="*", default=[100_000])
    parser.add_argument("--one", type=int)
    parser.add_argument("--with-reference", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.with_reference)))
        return
    print(
        "| hashes | vectorised pass s | near-dups | reference (BandIndex) s | same clusters |",
        end="",
    )
    print(" peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        if n in args.compare:
            cmd.append("--with-reference")
        row = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        ref = f"{row['reference_seconds']:.1f}" if "reference_seconds" in row else "—"
        same = {True: "yes", False: "NO"}.get(row.get("same"), "—")  # type: ignore[call-overload]
        cells = [f"{n:,}", f"{row['seconds']:.1f}", f"{row['duplicates']:,}", ref, same]
        print("| " + " | ".join([*cells, f"{row['peak_mb']:.0f}"]) + " |", flush=True)


if __name__ == "__main__":
    main()
