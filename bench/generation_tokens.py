"""Prompt tokens per valid instruction: one call per kind versus all kinds in one call.

Each case generates instructions for N images in English and Chinese against the loopback test
server (tests/fakeserver.py), with captions written straight to the store so only generation
is measured. Prompt tokens are the call ledger's ``input_tokens``, which the test server counts
as request-body bytes / 4 (Chinese is sent JSON-escaped, so it weighs more than on a real
tokenizer): the ratio between layouts is the point, not the absolute figure.

    python bench/generation_tokens.py [--images 50] [--caption-chars 300 1500]

Prints a Markdown table; results are kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from visinstruct.caption import CaptionStage  # noqa: E402
from visinstruct.config import ProjectConfig  # noqa: E402
from visinstruct.generate import GenerateStage  # noqa: E402
from visinstruct.project import Project  # noqa: E402
from visinstruct.records import Caption  # noqa: E402

from conftest import make_images  # noqa: E402
from fakeserver import FakeOpenAIServer  # noqa: E402
from responders import caption_for, engine_responder  # noqa: E402

KEY_ENV = "VISINSTRUCT_BENCH_KEY"
FILLER = (
    " In the background a row of trees lines a quiet street, and the light falls softly from "
    "the upper left, casting short shadows to the right of each object. The colours are "
    "saturated but natural, and nothing in the frame is blurred or cut off at the edges."
)


def _caption(image_id: str, chars: int) -> str:
    text = caption_for(image_id)
    while len(text) < chars:
        text += FILLER
    return text[:chars]


def _run(base_url: str, workdir: Path, images: int, chars: int, **generate: Any) -> dict[str, Any]:
    spec = {"model": "bench", "base_url": base_url, "api_key_env": KEY_ENV, "concurrency": 8}
    config = ProjectConfig.model_validate(
        {
            "models": {"captioner": dict(spec), "generator": dict(spec)},
            "generate": {"languages": ["en", "zh"], **generate},
            "collect": {"path": str(workdir / "images")},
        }
    )
    with Project(workdir / f"p-{len(list(workdir.iterdir()))}", config) as project:
        project.collect()
        caption_hash = CaptionStage.hash_of(project.config)
        for image in project.store.images():
            text = _caption(image.id, chars)
            record = Caption(
                id=Caption.make_id(image.id, caption_hash, text), image_id=image.id, text=text,
                language="en", model="bench", prompt_version="v1", config_hash=caption_hash,
            )  # fmt: skip
            project.store.complete_unit("caption", image.id, caption_hash, [record])
        project.generate()
        totals = project.store.call_totals("generate")
        valid = project.store.count_instructions(GenerateStage.hash_of(project.config))
    return {"calls": totals.calls, "input": totals.input_tokens, "valid": valid}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--caption-chars", type=int, nargs="+", default=[300, 1500])
    args = parser.parse_args(argv)
    os.environ[KEY_ENV] = "bench-key"
    print("| caption chars | format | layout | calls | prompt tokens | valid instructions "
          "| prompt tokens / valid instruction |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(engine_responder) as server:
        workdir = Path(tmp)
        make_images(workdir / "images", {"landmark": args.images // 2,
                                          "ocr": args.images - args.images // 2})  # fmt: skip
        for chars in args.caption_chars:
            for fmt in ("json", "tagged"):
                results = {}
                for layout in ("per_kind", "combined"):
                    r = _run(server.base_url, workdir, args.images, chars, format=fmt,
                             layout=layout)  # fmt: skip
                    results[layout] = r["input"] / max(1, r["valid"])
                    print(f"| {chars} | {fmt} | {layout} | {r['calls']} | {r['input']:,} | "
                          f"{r['valid']:,} | {results[layout]:.1f} |", flush=True)  # fmt: skip
                saving = 1 - results["combined"] / results["per_kind"]
                print(f"| {chars} | {fmt} | combined saves | | | | {saving:.0%} |", flush=True)


if __name__ == "__main__":
    main()
