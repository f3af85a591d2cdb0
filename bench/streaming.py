"""Streaming benchmark: planners, estimates and reports over a million image rows.

    python bench/streaming.py [--images 1000000] [--only estimate status ocr-plan]

A project whose store holds N image rows and N instruction rows (seeded straight into SQLite:
the benchmark is about reading them) and a priced captioner, then each reader in a fresh
subprocess, so each peak RSS (``ru_maxrss``) is that reader's own:

- ``estimate``: ``estimate_caption`` (``visinstruct cost estimate``'s caption row, provider
  counting: every pending image's real prompt built and counted);
- ``estimate-as-before``: the same count over a list of every pending image, the shape the
  estimate had before it streamed (for comparison);
- ``status``: ``Project.status()`` (``visinstruct status``);
- ``ocr-plan``: the OCR pass's planning (pending count, then every pending image paged from
  the store), without reading any image;
- ``review-sample``: ``build_sample_plan`` at rate 0.05 over one instruction per image (2%
  flagged by a failed check): every flagged item plus the stratified sample, written.

With ``--import-rows N`` it measures the importers instead, each in a fresh subprocess over a
fresh project: a generated N-row file naming 64 real PNGs (made with Pillow), imported whole:

- ``import-dataset``: ``visinstruct import dataset`` (generic JSONL, one multiple-choice
  question per line);
- ``import-generations``: ``visinstruct import generations`` (reference-engine JSONL, one
  tagged reply of three true-or-false questions per line);
- ``import-captions``: ``visinstruct import captions`` (one caption per image, so N images:
  tiny PNGs, N is capped at 20,000 to keep the folder small).

Prints Markdown; results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

_DOMAINS = ["landmark", "posters", "image_description", "species_recognition", "artwork"]


def _config(images: Path) -> object:
    from visinstruct.config import ModelsConfig, ModelSpec, ProjectConfig

    spec = ModelSpec(model="m", price_input_per_1m=2.5, price_output_per_1m=10.0)
    return ProjectConfig(collect={"path": images}, models=ModelsConfig(captioner=spec))


def seed(root: Path, n: int) -> None:
    from visinstruct.project import DB_FILENAME, Project

    (root / "images").mkdir(parents=True, exist_ok=True)
    with Project(root / "p", _config(root / "images")):  # type: ignore[arg-type]
        pass
    rng = random.Random(0)
    con = sqlite3.connect(root / "p" / DB_FILENAME)
    now = time.time()
    rows = (
        (
            f"{i:064x}", f"/data/images/{_DOMAINS[i % 5]}/img_{i:07d}.jpg", _DOMAINS[i % 5],
            rng.randrange(300, 4000), rng.randrange(300, 3000), "JPEG", rng.randrange(10**6),
            f"{rng.getrandbits(63):016x}808080", "folder",
            json.dumps({"title": f"picture {i}", "tags": ["a", "b"]}), now,
        )
        for i in range(n)
    )  # fmt: skip
    with con:
        con.executemany(
            "INSERT INTO images (id, path, domain, width, height, format, bytes, phash, source, "
            "prior, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    kinds = ["judgement", "multiple_choice", "long_vqa", "short_vqa"]
    instructions = (
        (
            f"q{i:063x}", f"{i:064x}", _DOMAINS[i % 5], kinds[i % 4], "en" if i % 3 else "zh",
            f"Question {i}?", "[]", "yes", "{}", "bench", None,
            '{"dup": {"passed": false}}' if i % 50 == 0 else "{}", now,
        )
        for i in range(n)
    )  # fmt: skip
    with con:
        con.executemany(
            "INSERT INTO instructions (id, image_id, domain, kind, language, question, choices, "
            "answer, provenance, config_hash, caption_id, checks, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            instructions,
        )
    con.close()


def run_one(task: str, root: Path) -> dict[str, object]:
    from visinstruct.caption.estimate import estimate_caption
    from visinstruct.caption.ocr import _pending
    from visinstruct.project import Project

    start = time.perf_counter()
    with Project(root / "p", _config(root / "images")) as project:  # type: ignore[arg-type]
        if task == "estimate":
            found = estimate_caption(project.store, project.config).units
        elif task == "estimate-as-before":  # the old shape: every pending image in a list
            from visinstruct.caption.estimate import _provider_tokens, pending_caption_images

            spec = project.config.models.get("captioner")
            pending = pending_caption_images(project.store, project.config)
            sum(_provider_tokens(project.config, spec, image)[0] for image in pending)
            found = len(pending)
        elif task == "status":
            found = project.status()["stages"]["caption"]["pending"]
        elif task == "review-sample":
            from visinstruct.review.quality import build_sample_plan

            plan = build_sample_plan(project.store, rate=0.05, seed=1)
            found = plan.flagged + plan.sampled
        else:
            pending, _ = project.store.count_ocr_pending("bench-engine", ())
            found = sum(1 for _ in _pending(project.store, "bench-engine", ()))
            assert found == pending
    return {
        "task": task, "rows": found, "seconds": time.perf_counter() - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


_IMPORTS = ["import-dataset", "import-generations", "import-captions"]
_CAPTION_ROWS = 20_000
_TF = (
    '<Q1> Is the square number {i} red? </Q1> <C1> {{"Yes", "No"}} </C1> <A1> Yes </A1>\n'
    '<Q2> Is the circle number {i} green? </Q2> <C2> {{"Yes", "No"}} </C2> <A2> No </A2>\n'
    "<Q3> Is the background of picture {i} white? </Q3> <A3> Yes </A3>"
)
_TF_PROMPT = "You need to design three true or false questions related to the landmark.\n"


def _png(path: Path, i: int, size: int = 64) -> None:
    from PIL import Image

    colour = (i % 256, (i // 256) % 256, (i // 65536) % 256)  # distinct bytes per image
    Image.new("RGB", (size, size), colour).save(path)


def seed_import(root: Path, task: str, n: int) -> Path:
    """The file ``task`` imports: N rows over 64 images (one image per row for captions)."""
    folder = root / "data" / "landmark"
    folder.mkdir(parents=True, exist_ok=True)
    images = n if task == "import-captions" else 64
    for i in range(images):
        _png(folder / f"img_{i:06d}.png", i, 32 if task == "import-captions" else 96)
    file = root / "data" / f"{task}.jsonl"
    with file.open("w", encoding="utf-8") as out:
        for i in range(n):
            image = f"landmark/img_{i % images:06d}.png"
            if task == "import-dataset":
                row = {"image": image, "question": f"Which colour is patch {i}?",
                       "choices": ["red", "green", "blue", "grey"], "answer": "A"}  # fmt: skip
            elif task == "import-generations":
                row = {"image_path": image, "gpt_prompt": _TF_PROMPT, "qa_raw": _TF.format(i=i)}
            else:
                row = {"image": image, "caption": f"A small square patch of flat colour, no. {i}."}
            out.write(json.dumps(row) + "\n")
    return file


def run_import(task: str, root: Path) -> dict[str, object]:
    from visinstruct.expand.imports import import_dataset
    from visinstruct.generate import Rules, import_generations
    from visinstruct.project import Project

    file = root / "data" / f"{task}.jsonl"
    start = time.perf_counter()
    with Project(root / "p", _config(root / "data")) as project:  # type: ignore[arg-type]
        if task == "import-dataset":
            report = import_dataset(project.store, project.root, file, domain="landmark")
            found = report.imported
        elif task == "import-generations":
            found = import_generations(project.store, file, Rules()).instructions
        else:
            found = project.import_captions(file, fmt="jsonl", domain="landmark").imported
    return {
        "task": task, "rows": found, "seconds": time.perf_counter() - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def main_imports(rows: int, tasks: list[str]) -> None:
    print("| importer | file rows | records imported | seconds | peak RSS MB |")
    print("|---|---|---|---|---|")
    for task in tasks:
        n = min(rows, _CAPTION_ROWS) if task == "import-captions" else rows
        with tempfile.TemporaryDirectory() as tmp:
            seed_import(Path(tmp), task, n)
            cmd = [sys.executable, __file__, "--one", task, tmp]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(
                f"| {task} | {n:,} | {row['rows']:,} | {row['seconds']:.1f} | "
                f"{row['peak_mb']:.0f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1_000_000)
    tasks = ["estimate", "estimate-as-before", "status", "ocr-plan", "review-sample"]
    parser.add_argument("--only", nargs="*", default=tasks)
    parser.add_argument("--one", nargs=2)
    parser.add_argument("--import-rows", type=int, help="measure the importers instead")
    args = parser.parse_args()
    if args.one:
        run = run_import if args.one[0] in _IMPORTS else run_one
        print(json.dumps(run(args.one[0], Path(args.one[1]))))
        return
    if args.import_rows:
        chosen = [t for t in args.only if t in _IMPORTS] if args.only != tasks else _IMPORTS
        main_imports(args.import_rows, chosen)
        return
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        seed(Path(tmp), args.images)
        print(f"seeded {args.images:,} image rows in {time.perf_counter() - start:.0f} s")
        print("| reader | image rows | units seen | seconds | peak RSS MB |")
        print("|---|---|---|---|---|")
        for task in args.only:
            cmd = [sys.executable, __file__, "--one", task, tmp]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(
                f"| {task} | {args.images:,} | {row['rows']:,} | {row['seconds']:.1f} | "
                f"{row['peak_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
