from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from visinstruct.collect import collect_folder, domain_name, inspect_image
from visinstruct.errors import InputError
from visinstruct.records import ImageRecord, Rejection
from visinstruct.store import Store

from conftest import make_images


def test_subfolders_name_domains_and_bad_files_are_rejected(tmp_path: Path) -> None:
    root = tmp_path / "images"
    make_images(root, {"Landmark": 2, "ocr": 2})
    (root / "top.png").write_bytes(b"")
    (root / "ocr" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "ocr" / "notes.txt").write_text("hello")
    shutil.copy(root / "ocr" / "img_000.jpg", root / "ocr" / "copy.jpg")
    Image.new("RGB", (20, 20)).save(root / "loose.png")
    with Store(tmp_path / "p.db") as store:
        report = collect_folder(store, root, "image_description")
        assert (report.accepted, report.rejected) == (5, 4)
        domains = sorted(i.domain for i in store.images())
        assert domains == ["image_description", "landmark", "landmark", "ocr", "ocr"]
        reasons = {Path(r.path).name: r.reason for r in store.rejections()}
        assert reasons["top.png"].startswith("empty file")
        assert reasons["notes.txt"].startswith("not an image")
        assert reasons["broken.jpg"].startswith(("truncated", "undecodable", "not an image"))
        # Files are walked in name order, so copy.jpg comes first and the original repeats it.
        assert reasons["img_000.jpg"].startswith("exact duplicate: same bytes as")
        assert reasons["img_000.jpg"].endswith("copy.jpg")
        again = collect_folder(store, root, "image_description")
        assert (again.accepted, again.rejected, again.unchanged) == (0, 0, 9)


def test_image_record_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (30, 20), (255, 0, 0)).save(path)
    record = inspect_image(path, "ocr")
    assert isinstance(record, ImageRecord)
    assert (record.width, record.height, record.format) == (30, 20, "PNG")
    assert len(record.id) == 64
    assert len(record.phash) == 22  # 64-bit shape hash + mean colour
    assert isinstance(inspect_image(tmp_path / "missing.png", "ocr"), Rejection)


def test_domain_names_and_missing_folder(tmp_path: Path) -> None:
    assert domain_name("Image Quality") == "image_quality"
    assert domain_name("  OCR-2 ") == "ocr_2"
    with Store(tmp_path / "p.db") as store, pytest.raises(InputError, match="not a folder"):
        collect_folder(store, tmp_path / "nowhere", "x")
