"""Shared fixtures: images made by the tests, and the scripted OpenAI-compatible server."""

from __future__ import annotations

import ctypes.util
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fakeserver import FakeOpenAIServer
from responders import engine_responder


def need_system_part(found: object, part: str, package: str) -> None:
    """Carry on when an optional system part (a font, a browser, a shared library) is there.

    Where it is absent the test is skipped with the install line, except under ``CI=true``:
    CI installs everything (``scripts/test``), so there a missing part is a failure, never a
    quiet skip.
    """
    if found:
        return
    message = f"{part} is missing: apt-get install -y {package} (scripts/test installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_BROWSER_PATHS = ("/usr/lib/chromium/chromium", "/snap/bin/chromium", "/usr/bin/chromium")


def _playwright_browsers() -> list[Path]:
    """Chromium builds that ``playwright install chromium`` put in its cache."""
    base = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache/ms-playwright")
    found: list[Path] = []
    for pattern in (
        "chromium-*/chrome-linux*/chrome",
        "chromium_headless_shell-*/*/headless_shell",
    ):
        found += sorted(Path(base).glob(pattern), reverse=True)
    return found


def find_chromium() -> Path | None:
    """A Chromium where Debian (``chromium``), Ubuntu (``chromium-browser``, the snap) or
    Playwright put it; ``VISINSTRUCT_CHROMIUM`` names one explicitly."""
    explicit = os.environ.get("VISINSTRUCT_CHROMIUM")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    for name in _BROWSER_NAMES:
        which = shutil.which(name)
        if which:
            return Path(which)
    for candidate in [*map(Path, _BROWSER_PATHS), *_playwright_browsers()]:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def has_shared_library(name: str) -> bool:
    """Whether the dynamic linker finds ``lib<name>`` (e.g. ``GL`` for OpenCV's libGL.so.1)."""
    return ctypes.util.find_library(name) is not None


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
