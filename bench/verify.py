"""How long ``verify``'s no-model passes take as a dataset grows (local checks, duplicates within
and across images, balance, report), and the across-image MinHash on its own.

    python bench/verify.py --instructions 100000

Instructions are synthetic (10 per image, every kind, random words from a small vocabulary, so
many grounding flags and a full rebalance) and written straight to a fresh store; no model is
configured, so the model checks are skipped, as they would be paced by the endpoint anyway.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from visinstruct.config import ProjectConfig
from visinstruct.records import Caption, ImageRecord, Instruction, Provenance
from visinstruct.store import Store
from visinstruct.verify import Verifier
from visinstruct.verify.dedup import AcrossImages

WORDS = str.split(
    "red blue green house tree river car road bridge tower cloud lamp window door cat dog bird "
    "boat sky grass stone wall roof hill lake path bench sign shop market child woman man "
    "table chair cup plate flower garden street train bus station clock"
)


def _image_items(rng: random.Random, image_id: str, n: int, prov: Provenance) -> list[Instruction]:
    colour, thing = rng.choice(WORDS), rng.choice(WORDS)
    long = " ".join(rng.choice(WORDS) for _ in range(45))
    rows = [
        ("judgement", f"Is the {thing} {colour}?", "Yes", []),
        ("judgement", f"Is there a {rng.choice(WORDS)} on the {thing}?", "No", []),
        ("multiple_choice", f"Which colour is the {thing}?", "A",
         [colour, "grey", "pink", "brown"]),
        ("multiple_choice", f"What is next to the {thing}?", rng.choice("ABCD"),
         ["a dog", "a cat", "a bench", "a lamp"]),
        ("short_vqa", f"How many {thing}s are there?", str(rng.randint(1, 9)), []),
        ("short_vqa", f"What colour is the {thing}?", colour, []),
        ("long_vqa", "Describe the image in detail.", long, []),
        ("short_vqa", f"What is the {thing} made of?", rng.choice(WORDS), []),
        ("judgement", f"Is the {thing} on the left?", rng.choice(["Yes", "No"]), []),
        ("short_vqa", f"What colour is the {thing} in the image?", colour, []),  # paraphrase
    ]  # fmt: skip
    items = []
    for kind, q, a, choices in rows[:n]:
        items.append(
            Instruction(
                id=Instruction.make_id(image_id, kind, "en", q, choices, a),
                image_id=image_id,
                domain=f"d{int(image_id[3:]) % 24}",
                kind=kind,
                language="en",
                question=q,  # type: ignore[arg-type]
                choices=choices,
                answer=a,
                provenance=prov,
            )
        )
    return items


def build(store: Store, config: ProjectConfig, n: int, seed: int = 0) -> None:
    from visinstruct.caption import CaptionStage
    from visinstruct.generate import GenerateStage

    rng = random.Random(seed)
    gen_hash, cap_hash = GenerateStage.hash_of(config), CaptionStage.hash_of(config)
    for i in range(n // 10):
        image_id = f"img{i:07d}"
        store.record_image(
            ImageRecord(id=image_id, path=f"/bench/{image_id}.jpg", domain=f"d{i % 24}", width=64,
                        height=64, format="JPEG", bytes=1, phash="0"), 1, 0.0,
        )  # fmt: skip
        text = f"A {rng.choice(WORDS)} near a {rng.choice(WORDS)} with {rng.randint(1, 9)} cups."
        caption = Caption(id=Caption.make_id(image_id, cap_hash, text), image_id=image_id,
                          text=text, language="en", model="m", prompt_version="v2",
                          config_hash=cap_hash)  # fmt: skip
        prov = Provenance(
            model="m", prompt_version="v2", config_hash=gen_hash, caption_id=caption.id
        )
        store.complete_unit("caption", image_id, cap_hash, [caption])
        store.complete_unit(
            "generate", f"{caption.id}:en", gen_hash, _image_items(rng, image_id, 10, prov)
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instructions", type=int, default=100_000)
    parser.add_argument("--sketch-only", type=int, default=1_000_000,
                        help="Long texts for the across-image MinHash alone.")  # fmt: skip
    args = parser.parse_args()
    config = ProjectConfig.model_validate(
        {"models": {"captioner": {"model": "m"}, "generator": {"model": "m"}}}
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        build(store, config, args.instructions)
        t1 = time.perf_counter()
        report = Verifier(store, config).run()
        t2 = time.perf_counter()
        again = Verifier(store, config).run()
        t3 = time.perf_counter()
    print(f"{args.instructions} instructions: build {t1 - t0:.1f}s, first verify {t2 - t1:.1f}s "
          f"({args.instructions / (t2 - t1):,.0f}/s), rerun {t3 - t2:.1f}s; flagged "
          f"{report['flagged']}, moved {report['balance']['multiple_choice']['moved']}, "
          f"rerun moved {again['balance']['multiple_choice']['moved']}")  # fmt: skip
    rng = random.Random(1)
    across = AcrossImages(k=64, min_words=20, threshold=0.85)
    prov = Provenance(model="m", prompt_version="v", config_hash="h")
    t0 = time.perf_counter()
    for i in range(args.sketch_only):
        text = " ".join(rng.choice(WORDS) for _ in range(45))
        across.add(Instruction(id=f"{i:09d}", image_id=f"i{i}", domain="d", kind="long_vqa",
                               language="en", question="Describe the image.", answer=text,
                               provenance=prov), flagged=False)  # fmt: skip
    t1 = time.perf_counter()
    flagged = sum(1 for r in across.results() if r.passed is False)
    t2 = time.perf_counter()
    print(f"across-image MinHash, {args.sketch_only:,} long items: sketch {t1 - t0:.1f}s, "
          f"cluster {t2 - t1:.1f}s, {flagged} flagged")  # fmt: skip


if __name__ == "__main__":
    main()
