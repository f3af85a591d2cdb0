"""The Batch API backend at scale against the test suite's server (loopback, no network).

    python bench/batch.py [--units 100] [--batch-size 20] [--open 5] [--delay 3]

Every batch takes ``--delay`` seconds on the server; the caption stage runs ``--units`` images
through ``openai-batch`` with ``batch_size`` and ``max_open_batches`` as given. (The crash
between create and record, found again among 150 other batches by paging, is a test:
``tests/models/test_openai_batch.py``.) Prints Markdown; results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from visinstruct.config import ModelsConfig, ModelSpec, ProjectConfig  # noqa: E402
from visinstruct.project import DB_FILENAME, Project  # noqa: E402

from conftest import make_images  # noqa: E402
from fakeserver import FakeOpenAIServer  # noqa: E402
from responders import engine_responder  # noqa: E402


def _config(images: Path, url: str, **spec: object) -> ProjectConfig:
    values: dict[str, object] = {"backend": "openai-batch", "model": "m", "base_url": url,
                                 "batch_poll_s": 0.1, **spec}  # fmt: skip
    return ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(captioner=ModelSpec(**values)),  # type: ignore[arg-type]
        ocr={"enabled": False},
    )


def _ledger(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as con:
        rows, units = con.execute("SELECT COUNT(*), COUNT(DISTINCT unit_key) FROM calls").fetchone()
    return int(rows), int(units)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--open", type=int, default=5)
    parser.add_argument("--delay", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        images = Path(tmp) / "images"
        make_images(images, {"landmark": args.units // 2, "posters": args.units - args.units // 2})
        with FakeOpenAIServer(engine_responder, batch_polls=0, batch_delay_s=args.delay) as server:
            config = _config(images, server.base_url, batch_size=args.batch_size,
                             max_open_batches=args.open)  # fmt: skip
            with Project(Path(tmp) / "p", config) as project:
                project.collect()
                start = time.perf_counter()
                summary = project.caption()
                wall = time.perf_counter() - start
            rows, units = _ledger(Path(tmp) / "p" / DB_FILENAME)
            sent = [c for b in server.batch_inputs for c in b]
            print("| units | batch size | max open | batch delay s | batches | open at once (peak) "
                  "| wall s | done | requests sent | ledger rows / units |")  # fmt: skip
            print("|---|---|---|---|---|---|---|---|---|---|")
            cells = [args.units, args.batch_size, args.open, f"{args.delay:g}",
                     len(server.batch_inputs), server.open_peak(), f"{wall:.1f}", summary.done,
                     f"{len(sent)} ({len(set(sent))} distinct)", f"{rows} / {units}"]  # fmt: skip
            print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
