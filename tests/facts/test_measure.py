"""Pixel measurements: each property is stated only when it is clear-cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from visinstruct.errors import InputError
from visinstruct.facts.measure import colour_name, measure_image, orientation_of


def _save(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


def _checker(size: tuple[int, int], colours: tuple[tuple[int, int, int], ...]) -> Image.Image:
    image = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 16):
        for y in range(0, size[1], 16):
            if (x // 16 + y // 16) % 2:
                draw.rectangle((x, y, x + 15, y + 15), fill=colours[1])
    return image


@pytest.mark.parametrize(
    ("size", "expected"),
    [((640, 480), "landscape"), ((480, 640), "portrait"), ((500, 505), "square"),
     ((500, 530), None)],
)  # fmt: skip
def test_orientation_leaves_the_nearly_square_undecided(
    size: tuple[int, int], expected: str | None
) -> None:
    assert orientation_of(*size) == expected


def test_dark_and_bright_images(tmp_path: Path) -> None:
    dark = measure_image(_save(Image.new("RGB", (64, 48), (10, 10, 30)), tmp_path / "d.png"))
    bright = measure_image(_save(Image.new("RGB", (64, 48), (240, 240, 235)), tmp_path / "b.png"))
    middle = measure_image(_save(Image.new("RGB", (64, 48), (120, 120, 120)), tmp_path / "m.png"))
    assert (dark.brightness, bright.brightness, middle.brightness) == ("dark", "bright", None)


def test_grey_picture_is_black_and_white_and_has_no_hues(tmp_path: Path) -> None:
    grey = _checker((128, 96), ((20, 20, 20), (230, 230, 230)))
    props = measure_image(_save(grey, tmp_path / "g.png"))
    assert props.palette == "black and white"
    assert set(props.main_colours) == {"black", "white"}
    assert "red" in props.absent_colours
    assert "blue" in props.absent_colours


def test_colour_shares_name_the_main_and_absent_colours(tmp_path: Path) -> None:
    image = Image.new("RGB", (100, 100), (200, 20, 20))
    ImageDraw.Draw(image).rectangle((0, 0, 99, 39), fill=(20, 60, 210))
    props = measure_image(_save(image, tmp_path / "rb.png"))
    assert props.palette == "colour"
    assert props.main_colours == ["red", "blue"]
    assert props.dominant_colour == "red"
    assert "green" in props.absent_colours
    assert "red" not in props.absent_colours


def test_sharp_checkerboard_and_blurred_copy(tmp_path: Path) -> None:
    sharp = _checker((512, 512), ((0, 0, 0), (255, 255, 255)))
    blurred = Image.new("RGB", (512, 512), (128, 128, 128)).filter(ImageFilter.GaussianBlur(4))
    assert measure_image(_save(sharp, tmp_path / "s.png")).sharpness == "sharp"
    assert measure_image(_save(blurred, tmp_path / "b.png")).sharpness == "blurry"


def test_colour_name_of_basic_pixels() -> None:
    assert colour_name(0, 255, 255) == "red"
    assert colour_name(0, 255, 100) == "brown"
    assert colour_name(170, 255, 255) == "blue"
    assert colour_name(0, 0, 20) == "black"
    assert colour_name(0, 0, 230) == "white"


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(InputError, match=r"broken\.png"):
        measure_image(bad)
