"""Shared fixtures: images made by the tests, and the scripted OpenAI-compatible server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fakeserver import FakeOpenAIServer
from responders import engine_responder


def make_images(root: Path, per_domain: dict[str, int]) -> list[Path]:
    """Small pictures, one sub-folder per domain, each a different random layout of shapes, so
    that none is a near duplicate of another (collect drops near duplicates by default)."""
    paths = []
    for domain, n in sorted(per_domain.items()):
        folder = root / domain
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            rng = random.Random(f"{domain}/{i}")
            im = Image.new("RGB", (96 + i % 7, 72), tuple(rng.randrange(256) for _ in range(3)))
            draw = ImageDraw.Draw(im)
            for _ in range(6):
                x, y = rng.randrange(0, 80), rng.randrange(0, 56)
                w, h = rng.randrange(8, 40), rng.randrange(8, 30)
                colour = tuple(rng.randrange(256) for _ in range(3))
                shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
                shape((x, y, x + w, y + h), fill=colour)
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
