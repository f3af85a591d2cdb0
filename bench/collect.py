"""Collect benchmark: throughput and peak memory on generated images, by collection size, and
the near-duplicate index alone on up to a million hashes.

    python bench/collect.py --sizes 1000 5000 10000 [--index-sizes 10000 100000 1000000]

Each size runs in a fresh subprocess (so peak RSS is that run's own): N distinct generated
pictures (256×192, half JPEG, half PNG, one sub-folder per 8 domains) plus 5% planted
near-duplicates (resized or re-encoded copies), collected by ``Project.collect`` with
``near_duplicate_distance: 8``. Then a rerun (nothing changed: the walk alone). Prints Markdown;
results are kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def _picture(seed: int) -> Image.Image:
    rng = random.Random(seed)
    w, h = 256, 192
    image = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 10)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randint(16, w // 2), y0 + rng.randint(16, h // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)(box, fill=fill)  # type: ignore[arg-type]
    return image


def _generate(folder: Path, n: int) -> int:
    planted = 0
    for i in range(n):
        sub = folder / f"domain_{i % 8}"
        sub.mkdir(parents=True, exist_ok=True)
        image = _picture(i)
        image.save(sub / f"{i:06d}.{'jpg' if i % 2 else 'png'}")
        if i % 20 == 0:  # 5% planted near-duplicates
            copy = image.resize((192, 144)) if i % 40 == 0 else image
            copy.save(sub / f"{i:06d}_copy.jpg", quality=60)
            planted += 1
    return planted


def _one(n: int) -> dict[str, float]:
    """Runs in a subprocess: generate, collect, rerun; report figures as JSON."""
    sys.path.insert(0, str(ROOT / "src"))
    from visinstruct.config import ProjectConfig
    from visinstruct.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        planted = _generate(folder, n)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        config = ProjectConfig.model_validate(
            {"collect": {"path": str(folder), "near_duplicate_distance": 8}}
        )
        with Project(Path(tmp) / "project", config) as project:
            started = time.perf_counter()
            report = project.collect()
            seconds = time.perf_counter() - started
            again_started = time.perf_counter()
            again = project.collect()
            again_seconds = time.perf_counter() - again_started
            pointers = project.store.near_duplicates()
    # A pointer is right when the duplicate is a planted copy of the picture it points at.
    false_merges = sum(Path(kept).name[:6] != Path(dup).name[:6] for kept, _, dup, _ in pointers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    files = n + planted
    return {
        "images": n,
        "files": files,
        "seconds": seconds,
        "per_s": files / seconds,
        "accepted": report.accepted,
        "near_duplicates": report.near_duplicates,
        "false_merges": false_merges,
        "planted": planted,
        "peak_rss_mb": peak / 1024,
        "rss_before_mb": rss_before / 1024,
        "rerun_s": again_seconds,
        "rerun_unchanged": again.unchanged,
    }


def _index(n: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    from visinstruct.collect.dedup import BandIndex

    rng = random.Random(n)
    hashes = [rng.getrandbits(64) for _ in range(n)]
    for i in range(0, n, 50):  # 2% planted within 4 bits
        value = hashes[i]
        for bit in rng.sample(range(64), 4):
            value ^= 1 << bit
        hashes[i + 1 if i + 1 < n else i] = value
    index: BandIndex[int] = BandIndex(8, n)
    started = time.perf_counter()
    found = 0
    for slot, value in enumerate(hashes):
        if index.nearest(value) is not None:
            found += 1
        else:
            index.add(value, slot)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"hashes": n, "seconds": seconds, "us_per_hash": 1e6 * seconds / n,
            "found": found, "peak_rss_mb": peak / 1024}  # fmt: skip


def _run(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    data: dict[str, float] = json.loads(out.stdout)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--index-sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        print(json.dumps(_one(n) if kind == "collect" else _index(n)))
        return
    print("| images | files (with 5% copies) | collect s | files/s | near-dups found / planted "
          "| false merges | peak RSS MB | rerun s (all unchanged) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        r = _run("collect", n)
        print(f"| {n:,} | {int(r['files']):,} | {r['seconds']:.1f} | {r['per_s']:.0f} | "
              f"{int(r['near_duplicates'])} / {int(r['planted'])} | {int(r['false_merges'])} | "
              f"{r['peak_rss_mb']:.0f} | "
              f"{r['rerun_s']:.1f} |")  # fmt: skip
    if args.index_sizes:
        print()
        print("| hashes in the near-duplicate index | seconds | µs per hash | peak RSS MB |")
        print("|---|---|---|---|")
        for n in args.index_sizes:
            r = _run("index", n)
            print(f"| {n:,} | {r['seconds']:.1f} | {r['us_per_hash']:.1f} | "
                  f"{r['peak_rss_mb']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
