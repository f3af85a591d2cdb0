"""The bad-input corpus: every good image in, every bad one rejected with a reason a user can
act on, nothing crashes, and the counts show in ``visinstruct status``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from collect.corpus import (
    animated,
    bomb_png,
    encoded,
    exif_rotated,
    image_server,
    picture,
)
from visinstruct.cli import main
from visinstruct.collect import download
from visinstruct.config import ProjectConfig
from visinstruct.project import Project

PUBLIC = "127.0.0.2"  # the test's stand-in for a public address (see the fixture below)


@pytest.fixture
def public_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat 127.0.0.2 as public, so a server there plays an internet host while 127.0.0.1
    stays what it is: the guard must still refuse it."""
    real = download.address_problem
    monkeypatch.setattr(download, "address_problem", lambda ip: None if ip == PUBLIC else real(ip))


def _good_files(root: Path) -> dict[str, str]:
    """name → note expected in the report (or "" for a plain image)."""
    (root / "landmark").mkdir(parents=True)
    (root / "posters").mkdir()
    picture(1).save(root / "landmark" / "plain.png")
    picture(2).convert("CMYK").save(root / "landmark" / "cmyk.jpg", quality=95)
    gradient = Image.linear_gradient("L").resize((200, 150)).convert("I")
    gradient.point(lambda v: v * 257).convert("I;16").save(root / "landmark" / "sixteen.png")
    assert Image.open(root / "landmark" / "sixteen.png").mode.startswith("I")
    palette = picture(3).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    palette.save(root / "posters" / "palette_alpha.png", transparency=0)
    (root / "posters" / "animated.gif").write_bytes(animated(10, "GIF"))
    (root / "posters" / "animated.webp").write_bytes(animated(20, "WEBP"))
    (root / "posters" / "rotated.jpg").write_bytes(exif_rotated(4))
    picture(5).save(root / os.fsdecode(b"caf\xe9.png"))
    big = picture(6, (480, 360))
    big.save(root / "landmark" / "original.png")
    shutil.copy(root / "landmark" / "original.png", root / "landmark" / "zz_exact_copy.png")
    big.resize((240, 180)).save(root / "landmark" / "zz_near_copy.jpg", quality=70)
    return {
        "plain.png": "",
        "cmyk.jpg": "CMYK → RGB",
        "sixteen.png": "(16-bit) → RGB",
        "palette_alpha.png": "P with transparency → RGB on white",
        "animated.gif": "first frame of an animation",
        "animated.webp": "first frame of an animation",
        "rotated.jpg": "EXIF orientation applied",
        "caf\udce9.png": "",
        "original.png": "",
    }


def _bad_files(root: Path, outside: Path) -> dict[str, str]:
    """name → the reason kind it must be rejected with."""
    bad = root / "ocr"
    bad.mkdir()
    full = encoded(picture(7), "JPEG")
    (bad / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (bad / "zero.png").write_bytes(b"")
    (bad / "text.png").write_text("this is a note, not a picture\n")
    (bad / "bomb.png").write_bytes(bomb_png(11_000))
    Image.new("RGB", (1, 1)).save(bad / "one_pixel.png")
    Image.new("RGB", (20_000, 10)).save(bad / "sliver.png")
    Image.new("RGB", (2_000, 50)).save(bad / "banner.png")
    (bad / "phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    picture(8, (64, 64)).save(bad / "icon.ico")
    picture(9).save(outside / "secret.png")
    (bad / "escape.png").symlink_to(outside / "secret.png")
    return {
        "truncated.jpg": "truncated",
        "zero.png": "empty file",
        "text.png": "not an image",
        "bomb.png": "decompression bomb",
        "one_pixel.png": "too small",
        "sliver.png": "too small",
        "banner.png": "extreme aspect ratio",
        "phone.heic": "unsupported format",
        "icon.ico": "unsupported format",
        "escape.png": "outside the folder",
        "zz_exact_copy.png": "exact duplicate",
        "zz_near_copy.jpg": "near duplicate",
    }


def _manifest(folder: Path, urls: dict[str, str]) -> Path:
    rows = [
        json.dumps({"url": urls["good"], "domain": "brand_recognition", "title": "A logo"}),
        json.dumps({"url": urls["redirect"], "title": "redirects to the loopback"}),
        json.dumps({"url": urls["oversized"]}),
        json.dumps({"url": urls["unreachable"]}),
        json.dumps({"url": urls["html"]}),
        json.dumps({"url": urls["missing"]}),
        "{not json",
        json.dumps({"path": "nowhere.png"}),
        json.dumps({"path": "x.png", "domain": "Not A Domain"}),
        json.dumps({"title": "no image named"}),
    ]
    manifest = folder / "manifest.jsonl"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def _project(tmp_path: Path, images: Path, manifest: Path) -> Project:
    config = ProjectConfig.model_validate(
        {
            "collect": {
                "path": str(images),
                "manifest": str(manifest),
                "near_duplicate_distance": 8,
                "max_download_bytes": 100_000,
                "download_timeout_s": 5,
            }
        }
    )
    return Project(tmp_path / "project", config)


def test_bad_input_corpus(tmp_path: Path, public_loopback: None) -> None:
    images, outside = tmp_path / "images", tmp_path / "outside"
    outside.mkdir()
    good = _good_files(images)
    bad = _bad_files(images, outside)
    with image_server(PUBLIC) as public, image_server("127.0.0.1") as private:
        urls = {
            "good": public.image("/logo.png", encoded(picture(30))),
            "redirect": public.redirect("/hop", private.image("/inside.png", encoded(picture(31)))),
            "oversized": public.image("/huge.png", b"\x89PNG" + b"\x00" * 200_000),
            "unreachable": f"http://{PUBLIC}:1/gone.png",
            "html": public.image("/page.png", b"<html></html>", kind="text/html"),
            "missing": public.url("/404.png"),
        }
        project = _project(tmp_path, images, _manifest(tmp_path, urls))
        with project:
            report = project.collect()
            reasons = {r.path: r.reason for r in project.store.rejections()}
            accepted = {Path(i.path).name: i for i in project.store.images()}
            status = project.status()
            again = project.collect()
        assert private.hits.get("/inside.png", 0) == 0  # the redirect was never followed there
        assert public.hits["/logo.png"] == 1  # the rerun used the cache

    by_name = {
        Path(k).name: v for k, v in reasons.items() if "://" not in k and ":" not in Path(k).name
    }
    for name, kind in bad.items():
        assert by_name[name].startswith(kind), (name, by_name.get(name))
    assert "ICO is not one of" in by_name["icon.ico"]
    assert "HEIC" in by_name["phone.heic"]
    assert "of " in by_name["zz_near_copy.jpg"] and "original.png" in by_name["zz_near_copy.jpg"]
    assert set(good) <= set(accepted) | {"caf\udce9.png"}
    assert any(n.startswith("caf") for n in accepted)
    assert (accepted["rotated.jpg"].width, accepted["rotated.jpg"].height) == (100, 200)
    for name, note in good.items():
        if note:
            assert any(note in n for n in report.notes), (name, report.notes)

    url_reasons = {k: v for k, v in reasons.items() if "://" in k}
    assert url_reasons[urls["redirect"]].startswith("refused address: 127.0.0.1")
    assert "loopback" in url_reasons[urls["redirect"]]
    assert url_reasons[urls["oversized"]].startswith("too large")
    assert url_reasons[urls["unreachable"]].startswith("download failed: unreachable")
    assert url_reasons[urls["html"]].startswith("not an image: the server says it is text/html")
    assert url_reasons[urls["missing"]].startswith("download failed: HTTP 404")
    logo = next(i for i in accepted.values() if i.prior.get("url") == urls["good"])
    assert logo.domain == "brand_recognition" and logo.prior["title"] == "A logo"

    manifest_reasons = [v for k, v in reasons.items() if "manifest.jsonl" in k]
    assert sum("not JSON" in r for r in manifest_reasons) == 1
    assert sum("names no image" in r for r in manifest_reasons) == 1
    assert sum("domain" in r for r in manifest_reasons) == 1
    assert any("missing file" in r and "line 8" in r for r in reasons.values())

    assert status["rejections"]["near duplicate"] == 1
    assert status["rejections"]["download failed"] == 2
    assert sum(status["rejections"].values()) == len(reasons)
    assert status["stages"]["collect"]["done"] == len(accepted)
    assert (again.accepted, again.rejected) == (0, 2)  # only the transient failures are retried
    assert again.reasons == {"download failed": 2}


def test_status_shows_rejections_by_reason(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    picture(1).save(images / "ok.png")
    (images / "empty.png").write_bytes(b"")
    (images / "note.png").write_text("hello there")
    project_dir = tmp_path / "project"
    (project_dir).mkdir()
    (project_dir / "visinstruct.yaml").write_text(
        f"version: 1\ncollect:\n  path: {images}\n", encoding="utf-8"
    )
    runner = CliRunner()
    collected = runner.invoke(main, ["collect", "-p", str(project_dir)])
    assert collected.exit_code == 0, collected.output
    assert "rejected 1: empty file" in collected.output
    shown = runner.invoke(main, ["status", "-p", str(project_dir)])
    assert shown.exit_code == 0, shown.output
    assert "rejected at collect" in shown.output
    assert "empty file" in shown.output and "not an image" in shown.output
    as_json = json.loads(runner.invoke(main, ["status", "-p", str(project_dir), "--json"]).output)
    assert as_json["rejections"] == {"empty file": 1, "not an image": 1}
