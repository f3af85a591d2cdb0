"""The caption cost estimate, made before any call, against what the ledger records after the
run on the test server (which counts prompt tokens as request bytes / 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from caption.captionkit import project_config
from visinstruct.caption import estimate_caption, pending_caption_images
from visinstruct.caption.estimate import sent_size
from visinstruct.collect import collect_folder
from visinstruct.models.images import image_tokens
from visinstruct.project import Project
from visinstruct.records import OcrLine

from conftest import make_images
from fakeserver import FakeOpenAIServer
from responders import caption_for

PRICE_IN, PRICE_OUT = 2.5, 10.0  # $ per 1M tokens


def _project(tmp_path: Path, server: FakeOpenAIServer, detail: str = "auto") -> Project:
    images = tmp_path / "images"
    make_images(images, {"landmark": 5, "posters": 4})
    big = images / "artwork" / "big.png"
    big.parent.mkdir(parents=True)
    Image.new("RGB", (1500, 900), (90, 140, 200)).save(big)
    config = project_config(server.base_url)
    captioner = config.models.captioner
    assert captioner is not None
    config.models.captioner = captioner.model_copy(
        update={"price_input_per_1m": PRICE_IN, "price_output_per_1m": PRICE_OUT,
                "image_detail": detail, "concurrency": 4}
    )  # fmt: skip
    project = Project(tmp_path / "project", config)
    collect_folder(project.store, images, "image_description")
    # Some images carry OCR text, so the estimate has to price the prompt variants too.
    for n, image in enumerate(project.store.images()):
        if n % 3 == 0:
            lines = [OcrLine(text=f"SIGN {n} 出口 EXIT", box=(0, 0, 40, 10))]
            project.store.set_ocr(image.id, lines, "test-engine")
    return project


def test_bytes_estimate_is_within_ten_percent_of_the_ledger(
    tmp_path: Path, server: FakeOpenAIServer, api_key: str, open_projects: list[Project]
) -> None:
    project = _project(tmp_path, server)
    open_projects.append(project)
    reply_tokens = len(caption_for("x")) // 4  # the test captioner's replies, as it counts them
    estimate = estimate_caption(
        project.store, project.config, counting="bytes", output_tokens=reply_tokens
    )
    assert server.chat_count == 0  # an estimate makes no call
    summary = project.caption()
    totals = project.store.call_totals("caption")
    assert (estimate.units, summary.done, totals.calls) == (10, 10, 10)
    in_error = abs(estimate.input_tokens - totals.input_tokens) / totals.input_tokens
    total_error = abs(estimate.total_tokens - (totals.input_tokens + totals.output_tokens)) / (
        totals.input_tokens + totals.output_tokens
    )
    cost_error = abs(estimate.cost_usd - totals.cost_usd) / totals.cost_usd
    assert in_error < 0.10, (estimate, totals)
    assert total_error < 0.10
    assert cost_error < 0.10
    # Done images are no longer pending; the measured output mean becomes the default.
    after = estimate_caption(project.store, project.config, counting="bytes")
    assert (after.units, after.input_tokens) == (0, 0)
    assert "mean of 10 calls" in after.notes[0]


@pytest.mark.parametrize("detail", ["low", "high", "auto"])
def test_provider_rule_image_tokens_match_the_ledger_per_detail_level(
    tmp_path: Path,
    server: FakeOpenAIServer,
    api_key: str,
    open_projects: list[Project],
    detail: str,
) -> None:
    project = _project(tmp_path, server, detail)
    open_projects.append(project)
    estimate = estimate_caption(project.store, project.config)
    project.caption()
    ledger = project.store.call_totals("caption")
    assert estimate.image_tokens == ledger.image_tokens
    if detail == "low":
        assert ledger.image_tokens == 85 * 10
    else:  # 9 small images: one tile each; 1500x900 sent at 1024x614: 2x2 tiles
        assert ledger.image_tokens == 9 * (170 + 85) + (4 * 170 + 85)
    assert estimate.input_tokens > estimate.image_tokens  # the prompt text counts too
    assert estimate.cost_usd == pytest.approx(
        (estimate.input_tokens * PRICE_IN + estimate.output_tokens * PRICE_OUT) / 1e6
    )


def test_sent_size_and_pending_follow_the_config(
    tmp_path: Path, server: FakeOpenAIServer, open_projects: list[Project]
) -> None:
    assert sent_size(1500, 900, 1024) == (1024, 614)
    assert sent_size(300, 200, 1024) == (300, 200)
    assert image_tokens(*sent_size(4000, 3000, 512), "high") == 170 + 85  # 512x384: one tile
    project = _project(tmp_path, server)
    open_projects.append(project)
    assert len(pending_caption_images(project.store, project.config)) == 10
    first = next(project.store.images())
    project.store.fail_unit("caption", first.id, "h", "x", None, 3)  # another setting: no effect
    assert len(pending_caption_images(project.store, project.config)) == 10
