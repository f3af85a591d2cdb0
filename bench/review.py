"""Review app benchmark: queue pages and saves with 100,000 instructions in the store.

Builds a project with N instructions (8 per image, every kind, en + zh, a share with a failed
check, two models), serves the review app with uvicorn on 127.0.0.1 and times, over real HTTP
with a logged-in client (a session cookie): queue pages (first, deep, filtered), image pages
(unfiltered, and opened from each filtered queue, in the middle of it, so the position and
neighbours are computed over half the queue), and saves (accept and a multiple-choice edit,
each on a different instruction, each sending the revision its page showed).

    python bench/review.py [--instructions 100000] [--repeat 30]

Prints a Markdown table; results are kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "review"), str(ROOT / "tests")]  # this file is review.py

from reviewkit import serve  # noqa: E402

from visinstruct.config import CONFIG_FILENAME, ProjectConfig, write_config  # noqa: E402
from visinstruct.project import Project  # noqa: E402
from visinstruct.records import ImageRecord, Instruction, Provenance  # noqa: E402
from visinstruct.review import add_reviewer  # noqa: E402
from visinstruct.store import Head  # noqa: E402

DOMAINS = ("landmark", "ocr", "posters", "artwork", "species_recognition")


GEN = "bench-generate"  # generated instructions, in the live dataset through its heads


def _instructions(image_id: str, domain: str, i: int) -> list[Instruction]:
    prov = Provenance(
        model=f"gen-{i % 2}", prompt_version="v2", config_hash=GEN, caption_id=f"cap-{i}"
    )
    failed = {"grounding": {"passed": False}} if i % 20 == 0 else {"grounding": {"passed": True}}
    rows = [
        ("judgement", "en", f"Is the square red {i}?", [], "Yes"),
        ("judgement", "en", f"Is the circle green {i}?", [], "No"),
        ("multiple_choice", "en", f"What colour is the circle {i}?",
         ["red", "blue", "green", "white"], "B"),
        ("multiple_choice", "en", f"Which shape is larger {i}?",
         ["the square", "the circle", "both", "neither"], "A"),
        ("long_vqa", "en", f"Describe the picture {i}.",
         [], "A red square on the left and a blue circle on the right, on a plain background."),
        ("short_vqa", "en", f"What colour is the square {i}?", [], "red"),
        ("judgement", "zh", f"方块是红色的吗 {i}？", [], "是"),
        ("short_vqa", "zh", f"圆是什么颜色 {i}？", [], "蓝色"),
    ]  # fmt: skip
    return [
        Instruction(
            id=Instruction.make_id(image_id, kind, lang, q, choices, a,
                                   caption_id=prov.caption_id, config_hash=GEN),
            image_id=image_id,
            domain=domain, kind=kind, language=lang, question=q, choices=choices, answer=a,
            provenance=prov, checks=failed if kind == "multiple_choice" else {},
        )  # type: ignore[arg-type]
        for kind, lang, q, choices, a in rows
    ]  # fmt: skip


def build(folder: Path, n_instructions: int) -> None:
    folder.mkdir(parents=True)
    write_config(ProjectConfig(), folder / CONFIG_FILENAME)
    picture = folder / "picture.jpg"
    Image.new("RGB", (800, 600), (90, 120, 200)).save(picture)
    with Project.open(folder) as project:
        store = project.store
        for i in range(n_instructions // 8):
            image_id = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
            domain = DOMAINS[i % len(DOMAINS)]
            store.record_image(
                ImageRecord(id=image_id, path=str(picture), domain=domain, width=800,
                            height=600, format="JPEG", bytes=1, phash="0" * 16),
                size=1, mtime=float(i),
            )  # fmt: skip
            items = _instructions(image_id, domain, i)
            for language in ("en", "zh"):
                store.complete_unit(
                    "generate", f"cap-{i}:{language}", GEN,
                    [x for x in items if x.language == language],
                    head=Head(image_id, language, f"cap-{i}"),
                )  # fmt: skip


def _time(fn: Callable[[int], object], repeat: int) -> tuple[float, float]:
    fn(-1)  # warm-up
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        fn(k)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


_QUEUES = [
    ("kind + language + status", "kind=multiple_choice&language=en&status=unreviewed"),
    ("failed check", "check=failed"),
    ("model + domain", "model=gen-1&domain=ocr"),
    ("status unreviewed", "status=unreviewed"),
]


def _middle(client: httpx.Client, qs: str) -> str:
    """An image id from the middle of a filtered queue."""
    html = client.get(f"/?{qs}").text
    pages = int(re.search(r"Page 1 of ([0-9]+)", html).group(1))  # type: ignore[union-attr]
    html = client.get(f"/?{qs}&page={max(1, pages // 2)}").text
    return re.findall(r'href="/image/([0-9a-f]+)\?', html)[0]


def measure(folder: Path, repeat: int) -> list[tuple[str, float, float]]:
    with Project.open(folder) as project:
        token = add_reviewer(project.store, "bench", "admin")
        index = project.store.instruction_index(project.scope())
        image_ids = sorted(index)[: repeat + 3]
    results = []
    with serve(folder) as url, httpx.Client(base_url=url) as client:
        assert client.post("/login", data={"token": token}).status_code == 303
        page = client.get(f"/image/{image_ids[0]}")
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]

        def get(path: str) -> Callable[[int], object]:
            def go(_k: int) -> object:
                r = client.get(path)
                assert r.status_code == 200, r.status_code
                return r

            return go

        for name, path in [
            ("queue page 1", "/"),
            ("queue page 200 (deep)", "/?page=200"),
            ("queue filtered: kind + language + status",
             "/?kind=multiple_choice&language=en&status=unreviewed"),
            ("queue filtered: failed check", "/?check=failed"),
            ("queue filtered: model + domain, page 20", "/?model=gen-1&domain=ocr&page=20"),
            ("review page of one image (8 instructions)", f"/image/{image_ids[1]}"),
            *[(f"image page from the queue: {label}", f"/image/{_middle(client, qs)}?{qs}")
              for label, qs in _QUEUES],
            ("admin page", "/admin"),
        ]:  # fmt: skip
            results.append((name, *_time(get(path), repeat)))

        def items(image_id: str) -> list[tuple[str, str]]:
            html = client.get(f"/image/{image_id}").text
            return re.findall(
                r'data-id="([0-9a-f]+)" data-kind="multiple_choice"[^>]*data-revision="([^"]+)"',
                html,
            )

        # every save on an instruction of its own: the first MC item of an image is edited,
        # the second accepted
        targets: dict[str, list[tuple[str, str]]] = {"edit": [], "accept": []}
        for image_id in image_ids[2 : repeat + 3]:
            first, second = items(image_id)
            targets["edit"].append(first)
            targets["accept"].append(second)

        def save(action: str) -> Callable[[int], object]:
            def go(k: int) -> object:
                instruction_id, revision = targets[action][k + 1]
                body: dict[str, object] = {"action": action, "revision": revision}
                if action == "edit":
                    body |= {"question": f"Which colour is the circle {k}?", "answer": "C",
                             "choices": ["red", "blue", "purple", "white"]}  # fmt: skip
                r = client.post(f"/api/instructions/{instruction_id}", json=body,
                                headers={"x-csrf-token": csrf})  # fmt: skip
                assert r.status_code == 200, r.text
                return r

            return go

        results.append(("save: edit a multiple-choice item", *_time(save("edit"), repeat)))
        results.append(("save: accept", *_time(save("accept"), repeat)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "project"
        start = time.perf_counter()
        build(folder, args.instructions)
        print(f"built {args.instructions:,} instructions in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)  # fmt: skip
        rows = measure(folder, args.repeat)
    print(f"| request ({args.instructions:,} instructions) | median ms | p95 ms |")
    print("|---|---|---|")
    for name, median, p95 in rows:
        print(f"| {name} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
