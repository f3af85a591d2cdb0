"""Image encoding for data URLs and image-token accounting."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from visinstruct.errors import InputError
from visinstruct.models.images import encode_image, image_tokens


def _decode(data_url: str) -> Image.Image:
    prefix = "data:image/jpeg;base64,"
    assert data_url.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(data_url[len(prefix) :])))


def test_large_image_is_shrunk_to_max_side(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (3000, 1500), (200, 30, 30)).save(path)
    url, width, height = encode_image(path, 1024)
    assert (width, height) == (1024, 512)
    sent = _decode(url)
    assert sent.format == "JPEG"
    assert sent.size == (1024, 512)


def test_small_image_is_not_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.jpg"
    Image.new("RGB", (64, 40)).save(path)
    assert encode_image(path, 1024)[1:] == (64, 40)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    Image.new("RGB", (200, 100)).save(path, exif=exif)
    url, width, height = encode_image(path, 1024)
    assert (width, height) == (100, 200)
    assert _decode(url).size == (100, 200)


def test_transparency_becomes_white_rgb(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(path)
    sent = _decode(encode_image(path, 1024)[0])
    assert sent.mode == "RGB"
    r, g, b = sent.getpixel((25, 25))  # type: ignore[misc]
    assert min(r, g, b) > 240


def test_unreadable_files_raise_input_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.png"):
        encode_image(tmp_path / "missing.png", 512)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(InputError, match=r"junk\.jpg"):
        encode_image(junk, 512)


@pytest.mark.parametrize(
    ("width", "height", "detail", "tokens"),
    [
        (4096, 4096, "low", 85),
        (1024, 1024, "high", 765),  # → 768×768, 4 tiles
        (2048, 4096, "high", 1105),  # → 1024×2048 → 768×1536, 6 tiles
        (4096, 2048, "auto", 1105),
        (512, 512, "high", 255),  # no upscaling: 1 tile
        (100, 30, "auto", 255),
        (1536, 768, "high", 1105),  # short side already 768: 3×2 tiles
    ],
)
def test_image_tokens_follow_openai_rule(width: int, height: int, detail: str, tokens: int) -> None:
    assert image_tokens(width, height, detail) == tokens
