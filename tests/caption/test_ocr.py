"""OCR reads the text drawn on test images, English and Chinese, offline; results are cached
by engine id and skippable per domain."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from caption.captionkit import draw_text_image, require_ocr_libraries
from visinstruct.caption import OcrReport, RapidOcrReader, open_reader, run_ocr
from visinstruct.caption import ocr as ocr_module
from visinstruct.collect import collect_folder
from visinstruct.config import OcrConfig, ProjectConfig
from visinstruct.errors import ConfigError, InputError
from visinstruct.project import Project
from visinstruct.records import OcrLine
from visinstruct.store import Store

from conftest import make_images


def _squash(text: str) -> str:
    """PP-OCR sometimes drops or adds spaces between Latin words; compare without them."""
    return "".join(text.split()).upper()


@pytest.mark.slow  # the real engine: ~0.2 s per image on two cores
def test_reads_english_and_chinese_lines_with_boxes(tmp_path: Path, ocr_reader: Any) -> None:
    path = draw_text_image(tmp_path / "sign.png", ["GRAND HOTEL 2024", "欢迎光临北京"])
    lines = ocr_reader.read_text(path)
    texts = [_squash(line.text) for line in lines]
    assert texts == ["GRANDHOTEL2024", "欢迎光临北京"]
    for line in lines:
        assert line.confidence >= 0.5
        assert line.box is not None
        left, top, right, bottom = line.box
        assert 0 <= left < right <= 640
        assert 0 <= top < bottom <= 220
    assert lines[0].box is not None
    assert lines[1].box is not None
    assert lines[0].box[3] <= lines[1].box[1]  # the first line is above the second


@pytest.mark.slow  # the real engine: ~0.2 s per image on two cores
def test_reads_chinese_only_and_finds_nothing_in_a_blank_image(
    tmp_path: Path, ocr_reader: Any
) -> None:
    zh = draw_text_image(tmp_path / "zh.png", ["北京大学图书馆", "开放时间 8:00"])
    texts = [_squash(line.text) for line in ocr_reader.read_text(zh)]
    assert texts == ["北京大学图书馆", "开放时间8:00"]
    blank = draw_text_image(tmp_path / "blank.png", [])
    assert ocr_reader.read_text(blank) == []


@pytest.mark.slow  # the real engine: ~0.2 s per image on two cores
def test_reads_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the engine and reading must not touch the network: models ship in the wheel."""
    require_ocr_libraries()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"OCR tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path = draw_text_image(tmp_path / "open.png", ["OPEN 24 HOURS"])
    reader = RapidOcrReader()
    assert [_squash(line.text) for line in reader.read_text(path)] == ["OPEN24HOURS"]
    assert "rapidocr-onnxruntime 1.4." in reader.engine_id


@pytest.mark.slow  # the real engine: ~0.2 s per image on two cores
def test_run_ocr_caches_by_engine_and_skips_domains(tmp_path: Path, ocr_reader: Any) -> None:
    images = tmp_path / "images"
    draw_text_image(images / "posters" / "a.png", ["SALE 50%"])
    draw_text_image(images / "ocr" / "b.png", ["出口 EXIT"])
    make_images(images, {"image_emotion": 1})
    with Store(tmp_path / "db.sqlite") as store:
        collect_folder(store, images, "image_description")
        first = run_ocr(store, ocr_reader, skip_domains=["image_emotion"])
        assert (first.read, first.cached, first.skipped, first.failed) == (2, 0, 1, 0)
        by_domain = {image.domain: image for image in store.images()}
        assert [_squash(o.text) for o in by_domain["posters"].ocr] == ["SALE50%"]
        assert [_squash(o.text) for o in by_domain["ocr"].ocr] == ["出口EXIT"]
        assert by_domain["image_emotion"].ocr == []
        assert store.ocr_engine_of(by_domain["posters"].id) == ocr_reader.engine_id
        assert store.ocr_engine_of(by_domain["image_emotion"].id) is None

        again = run_ocr(store, ocr_reader, skip_domains=["image_emotion"])
        assert (again.read, again.cached, again.skipped) == (0, 2, 1)


class _CountingReader:
    """A stand-in engine: proves the cache key is the engine id, without real OCR."""

    def __init__(self, engine_id: str):
        self.engine_id = engine_id
        self.calls = 0

    def read_text(self, path: Path) -> list[OcrLine]:
        self.calls += 1
        if not path.is_file():
            raise InputError(f"{path}: no such image file")
        return [OcrLine(text=path.stem, box=(0, 0, 1, 1), confidence=0.9)]


def test_a_new_engine_id_reads_again_and_unreadable_images_are_retried(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"ocr": 2})
    with Store(tmp_path / "db.sqlite") as store:
        collect_folder(store, images, "image_description")
        old = _CountingReader("engine-a")
        assert run_ocr(store, old).read == 2
        assert run_ocr(store, old).read == 0
        assert old.calls == 2
        new = _CountingReader("engine-b")
        assert run_ocr(store, new).read == 2
        victim = next(store.images())
        Path(victim.path).unlink()
        third = _CountingReader("engine-c")
        report = run_ocr(store, third, progress=None)
        assert (report.read, report.failed) == (1, 1)
        assert victim.path in report.errors[0]
        assert store.ocr_engine_of(victim.id) == "engine-b"  # not marked: tried again next time


def test_missing_extra_auto_skips_and_required_names_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ocr_module, "ocr_installed", lambda: False)
    reader, why = open_reader(OcrConfig(enabled="auto"))
    assert reader is None
    assert why is not None
    assert "pip install 'visinstruct[ocr]'" in why
    assert open_reader(OcrConfig(enabled=False)) == (None, "ocr.enabled is false")
    with pytest.raises(ConfigError, match=r"ocr\.enabled.*pip install 'visinstruct\[ocr\]'"):
        open_reader(OcrConfig(enabled=True))
    config = ProjectConfig.model_validate({"ocr": {"enabled": "auto"}})
    with Project(tmp_path / "p", config) as project:
        report = project.ocr()
    assert isinstance(report, OcrReport)
    assert report.read == 0
    assert report.not_run is not None
    assert "not installed" in report.not_run


def test_two_cpu_workers_store_the_lines_one_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr_module, "POOL_AFTER_S", 0.0)  # workers from the first image
    images = tmp_path / "images"
    words = ["EXIT 12", "SALE 50%", "出口", "OPEN 24H", "STOP", "北京 2024", "NO PARKING",
             "CAFE", "ROUTE 66", "上海", "PLATFORM 9", "GATE B7"]  # fmt: skip
    for i, text in enumerate(words):
        draw_text_image(images / "ocr" / f"t{i:02d}.png", [text])
    found = {}
    for workers in (1, 2):
        with Store(tmp_path / f"w{workers}.sqlite") as store:
            collect_folder(store, images, "image_description")
            report = run_ocr(store, RapidOcrReader(), workers=workers)
            assert (report.read, report.failed) == (12, 0)
            found[workers] = sorted(
                (Path(i.path).name, [line.model_dump_json() for line in i.ocr])
                for i in store.images()
            )
    assert found[2] == found[1]
    assert sum(1 for _, lines in found[1] if lines) >= 10


def test_a_missing_system_library_stops_ocr_once_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    real = importlib.import_module

    def without_libgl(name: str, package: str | None = None) -> Any:
        if name == "rapidocr_onnxruntime":
            raise ImportError(
                "libGL.so.1: cannot open shared object file: No such file or directory"
            )
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_libgl)
    with pytest.raises(ConfigError, match=r"libGL\.so\.1 is missing.*apt-get install -y libgl1"):
        open_reader(OcrConfig(enabled=True))
    reader, why = open_reader(OcrConfig(enabled="auto"))
    assert reader is None and why is not None and "apt-get install -y libgl1" in why
