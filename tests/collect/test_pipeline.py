"""Collect on worker processes: the same stored results as in one process, and big JPEGs
decoded reduced without changing what is stored about them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image

from collect.corpus import encoded, picture
from visinstruct.collect import pipeline
from visinstruct.collect.checks import Inspected, inspect_bytes
from visinstruct.collect.phash import dct_hash, hamming, hash_int
from visinstruct.config import ExecutorConfig, ProjectConfig
from visinstruct.executors.cpu import CpuPool
from visinstruct.project import Project

from conftest import make_images


def _stored(project: Project) -> tuple[list[str], list[tuple[str, str]]]:
    images = sorted(i.model_dump_json(exclude={"created_at"}) for i in project.store.images())
    rejected = sorted((r.path, r.reason) for r in project.store.rejections())
    return images, rejected


class _Watched(CpuPool):
    """The pool collect uses, noting whether its worker processes ran."""

    started_any: ClassVar[list[bool]] = []

    def __exit__(self, *exc: Any) -> None:
        self.started_any.append(self.started)
        super().__exit__(*exc)


def test_two_cpu_workers_store_what_one_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "POOL_AFTER_S", 0.0)  # workers from the first image
    monkeypatch.setattr(pipeline, "CpuPool", _Watched)
    images = tmp_path / "images"
    make_images(images, {"landmark": 45, "posters": 45})
    (images / "posters" / "broken.jpg").write_bytes(encoded(picture(3), "JPEG")[:300])
    (images / "posters" / "notes.png").write_text("not a picture")
    found = {}
    for workers in (1, 2):
        config = ProjectConfig(
            collect={"path": images}, executor=ExecutorConfig(cpu_workers=workers)
        )
        with Project(tmp_path / f"w{workers}", config) as project:
            report = project.collect()
            found[workers] = _stored(project)
        assert report.accepted == 90
    assert found[2] == found[1]
    assert len(found[1][1]) == 2
    assert _Watched.started_any == [False, True]  # one worker: here; two: worker processes


def _big_jpeg(tmp_path: Path, orientation: int | None = None) -> bytes:
    image = picture(7, (600, 400)).resize((3000, 2000), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    return encoded(image, "JPEG", quality=90, exif=exif)


def test_a_big_jpeg_is_decoded_reduced_but_stored_at_its_own_size(tmp_path: Path) -> None:
    data = _big_jpeg(tmp_path, orientation=6)
    found = inspect_bytes(data, "big.jpg", "")
    assert isinstance(found, Inspected)
    assert (found.record.width, found.record.height) == (2000, 3000)  # upright, full size
    assert "EXIF orientation applied" in found.notes
    with Image.open(io.BytesIO(data)) as full:
        full_hash = dct_hash(full.rotate(-90, expand=True))
    assert hamming(hash_int(found.record.phash), hash_int(full_hash)) <= 2


def test_a_truncated_big_jpeg_is_still_refused(tmp_path: Path) -> None:
    data = _big_jpeg(tmp_path)
    found = inspect_bytes(data[: len(data) // 2], "cut.jpg", "")
    assert not isinstance(found, Inspected)
    assert found.reason.startswith("truncated")
