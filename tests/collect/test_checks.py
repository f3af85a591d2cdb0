"""Decode-safe checks one by one, and that what is accepted can be sent to a model."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from collect.corpus import animated, bomb_png, encoded, exif_rotated, picture
from visinstruct.collect.checks import CheckLimits, Inspected, inspect_bytes, reason_kind
from visinstruct.models.images import encode_image


def _inspect(data: bytes, **limits: object) -> Inspected | str:
    found = inspect_bytes(data, "x", "ocr", CheckLimits(**limits))  # type: ignore[arg-type]
    return found if isinstance(found, Inspected) else found.reason


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "empty file"),
        (b"hello, world\n", "not an image"),
        (encoded(picture(1), "JPEG")[:400], "truncated"),
        (encoded(Image.new("RGB", (1, 1))), "too small"),
        (encoded(Image.new("RGB", (2000, 40))), "extreme aspect ratio"),
        (b"%PDF-1.7\n...", "unsupported format"),
        (encoded(picture(2, (64, 64)), "ICO"), "unsupported format"),
    ],
)
def test_rejections(data: bytes, kind: str) -> None:
    reason = _inspect(data)
    assert isinstance(reason, str) and reason_kind(reason) == kind, reason


def test_bomb_refused_before_decoding() -> None:
    reason = _inspect(bomb_png(3000), max_pixels=1_000_000)
    assert isinstance(reason, str)
    assert reason.startswith("decompression bomb: 3000x3000 is over 1,000,000 pixels")


def test_limits_are_configurable() -> None:
    tiny = encoded(Image.new("RGB", (8, 8), "red"))
    assert isinstance(_inspect(tiny, min_side=4), Inspected)
    assert isinstance(_inspect(encoded(picture(1)), formats=("JPEG",)), str)


@pytest.mark.parametrize(
    ("make", "note"),
    [
        (lambda: encoded(picture(3).convert("CMYK"), "JPEG"), "CMYK → RGB"),
        (lambda: encoded(picture(3).convert("LA")), "LA with transparency"),
        (lambda: encoded(picture(3).convert("P"), transparency=0), "P with transparency"),
        (
            lambda: encoded(
                Image.linear_gradient("L").convert("I").point(lambda v: v * 257).convert("I;16")
            ),
            "(16-bit) → RGB",
        ),
        (lambda: animated(4, "GIF"), "first frame of an animation"),
        (lambda: exif_rotated(5), "EXIF orientation applied"),
    ],
)
def test_conversions_are_noted_and_the_model_gets_rgb(
    make: object, note: str, tmp_path: Path
) -> None:
    data = make()  # type: ignore[operator]
    found = _inspect(data)
    assert isinstance(found, Inspected), found
    assert any(note in n for n in found.notes), found.notes
    path = tmp_path / "img"
    path.write_bytes(data)
    url, width, height = encode_image(path, 512)
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.mode == "RGB" and (width, height) == (found.record.width, found.record.height)


def test_sixteen_bit_is_scaled_not_clipped(tmp_path: Path) -> None:
    gradient = Image.linear_gradient("L").convert("I").point(lambda v: v * 257).convert("I;16")
    gradient.save(tmp_path / "g.png")
    url, _, _ = encode_image(tmp_path / "g.png", 256)
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L")
    low, high = sent.getextrema()
    assert low < 20 and high > 235  # a full range, not a white page
