"""What the caption stage will cost, before any call: pending images × tokens × price.

The estimate builds, for each image still to caption, the prompt it would really get (its
variant, its OCR text and prior knowledge included) and counts the request by one of two
rules:

``provider`` (default)
    Text at ~4 characters (or one CJK character) per token plus a few tokens per message, and
    images by OpenAI's published rule at the size and detail level configured for the
    captioner (``image_max_side``, ``image_detail``): the same count the call ledger's
    ``image_tokens`` column records. Other providers count image tokens by rules of their own
    (Qwen-VL and InternVL by pixel patches), so treat the figure as a guide for them.
``bytes``
    The size of the JSON request a call would send, at 4 bytes per token: an upper bound for
    any provider that tokenizes images, and exactly how the test suite's server counts. The
    test suite uses it to check the method end to end (prompts, variants, image encoding,
    pending units) against the ledger; it does not validate any provider's tokenizer.
    Encoding images is slow, so this rule measures an even sample and scales it up.

Output tokens per caption are the mean the ledger measured for this stage so far, else
``DEFAULT_OUTPUT_TOKENS`` (capped at ``caption.max_tokens``), unless given. Retries after a
failed quality gate cost extra and are not included.

The estimate streams: images and their unit states are read a slice at a time and only sums
are kept, so a million images cost what a thousand do in memory (``bench/streaming.py``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from visinstruct.caption.prompts import build_caption_prompt
from visinstruct.caption.stage import CaptionStage, retry_temperature
from visinstruct.config import ModelSpec, ProjectConfig
from visinstruct.errors import InputError
from visinstruct.models.images import encode_image, image_tokens
from visinstruct.models.ratelimit import estimate_request_tokens
from visinstruct.records import ImageRecord
from visinstruct.store import Store

__all__ = [
    "DEFAULT_OUTPUT_TOKENS",
    "Counting",
    "StageEstimate",
    "estimate_caption",
    "iter_pending_caption_images",
    "pending_caption_images",
    "sent_size",
]

Counting = Literal["provider", "bytes"]
DEFAULT_OUTPUT_TOKENS = 300
_BYTES_PER_TOKEN = 4
_SLICE = 512


@dataclass(frozen=True)
class StageEstimate:
    """Tokens and dollars for one stage's pending units. ``image_tokens`` is part of
    ``input_tokens`` (it is what the provider rule counted for the images)."""

    stage: str
    model: str | None
    counting: Counting
    units: int
    measured: int
    input_tokens: int
    image_tokens: int
    output_tokens: int
    cost_usd: float
    notes: list[str] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def sent_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size an image is sent at: shrunk (never enlarged) so its longest side fits."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def iter_pending_caption_images(store: Store, config: ProjectConfig) -> Iterator[ImageRecord]:
    """Images the next caption run would call the model for (not done, budget not used up),
    read with their unit states a slice at a time."""
    stage, config_hash = CaptionStage.name, CaptionStage.hash_of(config)
    budget = config.caption.max_unit_attempts
    images = store.images()
    while chunk := list(itertools.islice(images, _SLICE)):
        states = store.unit_states_for(stage, config_hash, [image.id for image in chunk])
        for image in chunk:
            status, attempts = states.get(image.id, ("", 0))
            if status == "done" or (status == "failed" and attempts >= budget):
                continue
            yield image


def pending_caption_images(store: Store, config: ProjectConfig) -> list[ImageRecord]:
    """:func:`iter_pending_caption_images` as a list (for small collections and tests)."""
    return list(iter_pending_caption_images(store, config))


def _prompt(config: ProjectConfig, image: ImageRecord) -> str:
    c = config.caption
    return build_caption_prompt(
        c.prompt_version,
        c.language,
        image,
        use_ocr=c.use_ocr_text,
        use_prior=c.use_prior,
        max_context_chars=c.max_context_chars,
    ).text


def _provider_tokens(config: ProjectConfig, spec: ModelSpec, image: ImageRecord) -> tuple[int, int]:
    """(input tokens incl. image, image tokens) of one caption request, by the provider rule."""
    w, h = sent_size(image.width, image.height, spec.image_max_side)
    img = image_tokens(w, h, spec.image_detail)
    return estimate_request_tokens([_prompt(config, image)], img, 0), img


def _request_bytes(config: ProjectConfig, spec: ModelSpec, image: ImageRecord) -> int:
    """The size of the JSON body the ``openai`` backend would send for ``image``."""
    try:
        url, _w, _h = encode_image(Path(image.path), spec.image_max_side)
    except InputError:
        return 0  # the call would fail before sending; it costs nothing
    content = [
        {"type": "text", "text": _prompt(config, image)},
        {"type": "image_url", "image_url": {"url": url, "detail": spec.image_detail}},
    ]
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": [{"role": "user", "content": content}],
        "temperature": retry_temperature(config.caption, 1),
        "max_tokens": config.caption.max_tokens,
    }
    body.update(spec.extra_body)
    body = {k: v for k, v in body.items() if v is not None}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8"))


def _output_per_call(store: Store, config: ProjectConfig, given: int | None) -> tuple[int, str]:
    if given is not None:
        return given, f"{given} output tokens per caption, as given"
    totals = store.call_totals(CaptionStage.name)
    if totals.ok:
        mean = round(totals.output_tokens / totals.ok)
        return mean, f"{mean} output tokens per caption, the mean of {totals.ok} calls so far"
    guess = min(DEFAULT_OUTPUT_TOKENS, config.caption.max_tokens)
    return guess, f"{guess} output tokens per caption assumed (no captions measured yet)"


def _sample(items: Iterator[ImageRecord], total: int, n: int) -> Iterator[ImageRecord]:
    """``n`` of the ``total`` items spread evenly over them (all when there are fewer)."""
    if total <= n:
        yield from items
        return
    step = total / n
    wanted = iter(int(i * step) for i in range(n))
    target = next(wanted)
    for index, item in enumerate(items):
        if index == target:
            yield item
            target = next(wanted, -1)
            if target < 0:
                return


def estimate_caption(
    store: Store,
    config: ProjectConfig,
    *,
    counting: Counting = "provider",
    output_tokens: int | None = None,
    sample: int = 200,
) -> StageEstimate:
    """Estimate the caption stage's pending calls under ``config`` (see the module doc)."""
    spec = config.models.get(CaptionStage.role)
    per_output, output_note = _output_per_call(store, config, output_tokens)
    notes = [output_note]
    units = input_tokens = img_tokens = 0
    if counting == "provider":
        for image in iter_pending_caption_images(store, config):
            tokens, img = _provider_tokens(config, spec, image)
            units, input_tokens, img_tokens = units + 1, input_tokens + tokens, img_tokens + img
        measured = units
    else:
        units = sum(1 for _ in iter_pending_caption_images(store, config))
        chosen = _sample(iter_pending_caption_images(store, config), units, max(1, sample))
        sizes = [_request_bytes(config, spec, image) for image in chosen]
        per_call = sum(sizes) / len(sizes) / _BYTES_PER_TOKEN if sizes else 0.0
        input_tokens, measured = round(per_call * units), len(sizes)
        if measured < units:
            notes.append(f"request sizes measured on {measured} of {units} images")
    out = per_output * units
    cost = (input_tokens * spec.price_input_per_1m + out * spec.price_output_per_1m) / 1e6
    if not spec.price_input_per_1m and not spec.price_output_per_1m:
        notes.append("no prices configured for the captioner (price_input_per_1m ...)")
    return StageEstimate(
        stage=CaptionStage.name,
        model=spec.model,
        counting=counting,
        units=units,
        measured=measured,
        input_tokens=input_tokens,
        image_tokens=img_tokens,
        output_tokens=out,
        cost_usd=cost,
        notes=notes,
    )
