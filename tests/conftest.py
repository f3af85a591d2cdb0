"""Shared fixtures: images made by the tests, and the scripted OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fakeserver import FakeOpenAIServer
from responders import engine_responder


def make_images(root: Path, per_domain: dict[str, int]) -> list[Path]:
    """Small but distinct pictures, one sub-folder per domain."""
    paths = []
    for d, (domain, n) in enumerate(sorted(per_domain.items())):
        folder = root / domain
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            im = Image.new("RGB", (96 + i, 72), (40 * d % 256, (17 * i) % 256, 120))
            draw = ImageDraw.Draw(im)
            draw.rectangle((8 + i % 20, 8, 40 + i % 20, 40), fill=(200, 30, 30))
            draw.ellipse((50, 20, 80, 50), fill=(30, 30, 200))
            path = folder / f"img_{i:03d}.{'png' if i % 2 else 'jpg'}"
            im.save(path)
            paths.append(path)
    return paths


@pytest.fixture
def images(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    make_images(root, {"landmark": 3, "ocr": 3})
    return root


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(engine_responder, api_key="test-key-123") as srv:
        yield srv
