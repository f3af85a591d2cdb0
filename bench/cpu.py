"""CPU work on 1 and 2 worker processes: collect and OCR throughput on the same images, with the
stored results compared, and collect's peak memory on 12 MP photos.

    python bench/cpu.py [--images 200] [--photos 150] [--only collect|ocr|memory]

Each measurement runs in a fresh subprocess (``Project.collect`` / ``Project.ocr`` with
``executor.cpu_workers`` set), so start-up of the worker processes is included. Peak memory
is the largest sum of resident memory over the process and all its children (sampled every
20 ms from /proc), not one process's own. Prints Markdown; results go in bench/RESULTS.md.

- collect: N photo-like 2 MP JPEGs (gradients, noise, shapes), decoded in full, checked,
  hashed (sha256 + DCT hash), deduplicated, stored.
- ocr: N text images (640×220, one or two lines), read by RapidOCR (the ``ocr`` extra).
- collect at 12 MP: N photo-like 4000×3000 JPEGs (decoded reduced: only hashes are kept).
- memory: the first M of those 12 MP photos, collected on 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "visinstruct-bench-cpu"


def _photo(seed: int, size: tuple[int, int]) -> object:
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    w, h = size
    sw, sh = max(2, w // 16), max(2, h // 16)
    base = np.linspace(0, 1, sw)[None, :, None] * rng.uniform(0, 255, 3)
    base = base + np.linspace(0, 1, sh)[:, None, None] * rng.uniform(0, 255, 3)
    small = np.clip(base / 2 + rng.normal(0, 18, (sh, sw, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    r = random.Random(seed)
    for _ in range(12):
        x, y = r.randrange(w), r.randrange(h)
        box = (x, y, x + r.randrange(w // 20, w // 3), y + r.randrange(h // 20, h // 3))
        fill = tuple(r.randrange(256) for _ in range(3))
        (draw.ellipse if r.random() < 0.5 else draw.rectangle)(box, fill=fill)  # type: ignore[arg-type]
    grain = rng.normal(0, 6, (h, w, 3))
    out = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(out)


def _photos(n: int, size: tuple[int, int], name: str) -> Path:
    folder = CACHE / f"{name}-{n}"
    done = folder / ".done"
    if done.exists():
        return folder
    for i in range(n):
        target = folder / f"d{i % 8}" / f"p{i:04d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        _photo(i, size).save(target, quality=90)  # type: ignore[attr-defined]
    done.write_text("ok")
    return folder


def _subset(folder: Path, n: int) -> Path:
    """The first ``n`` photos of ``folder``, copied to a folder of their own."""
    import shutil

    target = folder.parent / f"{folder.name}-first{n}"
    if not (target / ".done").exists():
        for photo in sorted(folder.rglob("*.jpg"))[:n]:
            (target / photo.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(photo, target / photo.parent.name / photo.name)
        (target / ".done").write_text("ok")
    return target


def _text_images(n: int) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from caption.captionkit import draw_text_image

    folder = CACHE / f"text-{n}"
    done = folder / ".done"
    if done.exists():
        return folder
    words = ["EXIT", "SALE 50%", "OPEN 24H", "出口", "北京", "ROUTE", "GATE", "CAFE", "STOP"]
    r = random.Random(0)
    for i in range(n):
        lines = [f"{r.choice(words)} {r.randrange(1000)}" for _ in range(r.randint(1, 2))]
        draw_text_image(folder / "ocr" / f"t{i:04d}.png", lines)
    done.write_text("ok")
    return folder


class _TreeRss:
    """Peak of (this process + every descendant) resident memory, sampled from /proc."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                kids += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                continue
        return kids

    def _total(self) -> int:
        todo, total = [os.getpid()], 0
        while todo:
            pid = todo.pop()
            total += self._rss_kb(pid)
            todo += self._children(pid)
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, self._total())

    def __enter__(self) -> _TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _digest(rows: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:16]


def run_one(task: str, folder: Path, workers: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "src"))
    from visinstruct.config import ExecutorConfig, ProjectConfig
    from visinstruct.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        config = ProjectConfig(
            collect={"path": folder, "near_duplicate_distance": 0 if task == "ocr" else 8},
            ocr={"enabled": task == "ocr"},
            executor=ExecutorConfig(cpu_workers=workers),
        )
        with Project(Path(tmp) / "p", config) as project:
            if task == "ocr":
                project.collect()
            with _TreeRss() as rss:
                start = time.perf_counter()
                if task == "ocr":
                    report = project.ocr()
                    count = report.read
                else:
                    count = project.collect().accepted
                seconds = time.perf_counter() - start
            if task == "ocr":
                rows = [
                    f"{Path(i.path).name} {[x.text for x in i.ocr]}" for i in project.store.images()
                ]
            else:
                rows = [i.model_dump_json(exclude={"created_at"}) for i in project.store.images()]
    return {
        "task": task, "workers": workers, "images": count, "seconds": seconds,
        "rate": count / seconds, "digest": _digest(rows), "peak_mb": rss.peak_kb / 1024,
    }  # fmt: skip


def _measure(task: str, folder: Path, workers: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", task, str(folder), str(workers)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def capacity() -> float:
    """How much faster two processes burn two slices of pure Python than one process does
    right now: the parallelism the shared machine has free (2.0 when quiet)."""
    import multiprocessing

    n = 4_000_000
    start = time.perf_counter()
    _burn(n)
    _burn(n)
    serial = time.perf_counter() - start
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_burn, [10, 10])
        start = time.perf_counter()
        pool.map(_burn, [n, n])
        parallel = time.perf_counter() - start
    return serial / parallel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--photos", type=int, default=150)
    parser.add_argument("--only", choices=["collect", "ocr", "memory"])
    parser.add_argument("--one", nargs=3)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]), int(args.one[2]))))
        return
    print(f"load average before: {os.getloadavg()}; free parallelism {capacity():.2f}×", flush=True)
    print(
        "| work | images | workers | seconds | images/s | speed-up | peak RSS MB (tree) |", end=""
    )
    print(" stored results |")
    print("|---|---|---|---|---|---|---|---|")
    plans = []
    if args.only in (None, "collect"):
        plans.append(("collect", _photos(args.images, (1600, 1200), "photo2mp"), (1, 2)))
        plans.append(("collect", _photos(args.images, (4000, 3000), "photo12mp"), (1, 2)))
    if args.only in (None, "ocr"):
        plans.append(("ocr", _text_images(args.images), (1, 2)))
    if args.only in (None, "memory"):
        big = _subset(_photos(args.images, (4000, 3000), "photo12mp"), args.photos)
        plans.append(("collect", big, (1, 2)))
    for task, folder, counts in plans:
        print(f"<!-- free parallelism before this pair: {capacity():.2f}× -->", flush=True)
        rows = [_measure(task, folder, w) for w in counts]
        base = rows[0]
        for row in rows:
            speed = float(row["rate"]) / float(base["rate"])  # type: ignore[arg-type]
            same = "same digest" if row["digest"] == base["digest"] else "DIFFERENT"
            print(
                f"| {task} ({folder.name}) | {row['images']} | {row['workers']} | "
                f"{row['seconds']:.1f} | {row['rate']:.1f} | {speed:.2f}× | "
                f"{row['peak_mb']:.0f} | {same} ({row['digest']}) |",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()}; free parallelism {capacity():.2f}×", flush=True)


if __name__ == "__main__":
    main()
