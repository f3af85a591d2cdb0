"""Helpers for the caption-step tests: pictures with drawn text (English and Chinese) and
project configs whose models are the scripted test server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from visinstruct.config import ProjectConfig

from conftest import has_shared_library, need_system_part

KEY_ENV = "VISINSTRUCT_CAPTION_TEST_KEY"
KEY = "test-key-123"  # what the shared ``server`` fixture accepts
_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)


def cjk_font_path() -> Path:
    """WenQuanYi Micro Hei: a font with both Latin and Chinese glyphs."""
    found = [p for p in _FONT_PATHS if p.is_file()]
    if not found and Path("/usr/share/fonts").is_dir():
        found = sorted(Path("/usr/share/fonts").rglob("wqy-microhei.ttc"))
    need_system_part(found, "a CJK font for drawing Chinese test text", "fonts-wqy-microhei")
    return found[0]


def require_ocr_libraries() -> None:
    """The OCR engine's OpenCV wheel links against libGL and GLib."""
    found = has_shared_library("GL") and has_shared_library("glib-2.0")
    need_system_part(found, "libGL / GLib (OpenCV, used by OCR)", "libgl1 libglib2.0-0")


def draw_text_image(path: Path, lines: list[str], size: tuple[int, int] = (640, 220)) -> Path:
    """Black text on white, one line per entry, large enough to read reliably."""
    font = ImageFont.truetype(str(cjk_font_path()), 40)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 80 * i), line, font=font, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def project_config(base_url: str, **sections: Any) -> ProjectConfig:
    """A config whose captioner (and generator) is the test server, OCR off unless asked."""
    spec = {"model": "fake-model", "base_url": base_url, "api_key_env": KEY_ENV,
            "max_retries": 0, "concurrency": 1}  # fmt: skip
    data: dict[str, Any] = {
        "models": {"captioner": dict(spec), "generator": dict(spec)},
        "ocr": {"enabled": False},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return ProjectConfig.model_validate(data)
