"""Sources: CSV manifests, the reference crawler's records, WebDataset shards, parquet files
in the ``datasets`` layout, and domains from keyword rules."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from collect.corpus import encoded, picture
from visinstruct.collect.run import Sources
from visinstruct.config import ProjectConfig
from visinstruct.project import Project


def _project(tmp_path: Path, **collect: object) -> Project:
    return Project(tmp_path / "project", ProjectConfig.model_validate({"collect": collect}))


def test_csv_manifest_keeps_every_field_as_prior(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    picture(1).save(folder / "a.png")
    picture(2).save(folder / "b.png")
    manifest = folder / "rows.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "domain", "tags", "title", "alt", "licence", "source_url"])
        writer.writerow(
            [
                "a.png",
                "landmark",
                "tower|night",
                "Eiffel",
                "a tower",
                "CC-BY",
                "https://example.org/a",
            ]
        )
        writer.writerow(["b.png", "", "", "", "", "", ""])
        writer.writerow(["gone.png", "", "", "", "", "", ""])
    with _project(tmp_path) as project:
        report = project.collect(Sources(manifests=[manifest]))
        images = {Path(i.path).name: i for i in project.store.images()}
    assert (report.accepted, report.rejected) == (2, 1)
    a = images["a.png"]
    assert a.domain == "landmark"
    assert a.prior == {
        "tags": ["tower", "night"],
        "title": "Eiffel",
        "alt": "a tower",
        "licence": "CC-BY",
        "source_url": "https://example.org/a",
    }
    assert images["b.png"].domain == "image_description"


def test_reference_crawler_records_import_as_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    picture(3).save(folder / "0001.jpg")
    row = {
        "image_path": "0001.jpg",
        "bing_tag": "movie poster",
        "retrieval_keyword": "poster",
        "source": "bing",
    }
    manifest = folder / "records.jsonl"
    manifest.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with _project(tmp_path, domain_rules=[{"match": "poster|flyer", "domain": "posters"}]) as p:
        p.collect(Sources(manifests=[manifest]))
        (image,) = list(p.store.images())
    assert image.domain == "posters"  # from the rule: the record names no domain
    assert image.prior == {
        "bing_tag": "movie poster",
        "retrieval_keyword": "poster",
        "source": "bing",
    }


def test_domain_rules_and_unknown_domains(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    (folder / "My Own Domain").mkdir(parents=True)
    picture(4).save(folder / "flyer_summer.png")
    picture(5).save(folder / "holiday.png")
    picture(6).save(folder / "My Own Domain" / "x.png")
    rules = [{"match": "poster|flyer", "domain": "posters"}]
    with _project(tmp_path, path=str(folder), domain_rules=rules) as project:
        report = project.collect()
        domains = {Path(i.path).name: i.domain for i in project.store.images()}
    assert domains == {
        "flyer_summer.png": "posters",
        "holiday.png": "image_description",
        "x.png": "my_own_domain",
    }
    assert report.unknown_domains == ["my_own_domain"]


def _shard(path: Path, samples: list[tuple[str, bytes, dict[str, object] | str | None]]) -> None:
    with tarfile.open(path, "w") as tar:
        for key, image, meta in samples:
            members = [(f"{key}.jpg", image)]
            if isinstance(meta, dict):
                members.append((f"{key}.json", json.dumps(meta).encode()))
            elif isinstance(meta, str):
                members.append((f"{key}.txt", meta.encode()))
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def test_webdataset_shard(tmp_path: Path) -> None:
    shard = tmp_path / "shard-00000.tar"
    _shard(
        shard,
        [
            ("000001", encoded(picture(7), "JPEG"), {"domain": "landmark", "caption": "a bridge"}),
            ("000002", encoded(picture(8), "JPEG"), "a plain text caption"),
            ("000003", b"not a jpeg", None),
        ],
    )
    with _project(tmp_path) as project:
        report = project.collect(Sources(webdataset=[shard]))
        images = sorted(project.store.images(), key=lambda i: i.prior.get("caption", ""))
        rejections = project.store.rejections()
        again = project.collect(Sources(webdataset=[shard]))
    assert (report.accepted, report.rejected) == (2, 1)
    assert [i.prior["caption"] for i in images] == ["a bridge", "a plain text caption"]
    assert {i.domain for i in images} == {"landmark", "image_description"}
    assert all(Path(i.path).is_file() and "cache" in i.path for i in images)
    assert rejections[0].path.endswith("#000003")
    assert (again.accepted, again.unchanged) == (0, 3)


def test_parquet_in_datasets_layout(tmp_path: Path) -> None:
    table = pa.table(
        {
            "image": [
                {"bytes": encoded(picture(9)), "path": "nine.png"},
                {"bytes": encoded(picture(10), "JPEG"), "path": "ten.jpg"},
                {"bytes": None, "path": "none.png"},
            ],
            "label": ["cat", "dog", "x"],
            "domain": ["species_recognition", None, None],
        }
    )
    path = tmp_path / "train-00000.parquet"
    pq.write_table(table, path)
    with _project(tmp_path) as project:
        report = project.collect(Sources(parquet=[path]))
        images = {i.prior["label"]: i for i in project.store.images()}
    assert (report.accepted, report.rejected) == (2, 1)
    assert images["cat"].domain == "species_recognition"
    assert images["dog"].format == "JPEG"


def test_parquet_written_by_datasets(tmp_path: Path) -> None:
    import datasets

    picture(11).save(tmp_path / "p.png")
    features = datasets.Features({"image": datasets.Image(), "title": datasets.Value("string")})
    ds = datasets.Dataset.from_dict(
        {"image": [str(tmp_path / "p.png")], "title": ["shapes"]}, features=features
    )
    ds.to_parquet(str(tmp_path / "ds.parquet"))
    with _project(tmp_path) as project:
        report = project.collect(Sources(parquet=[tmp_path / "ds.parquet"]))
        (image,) = list(project.store.images())
    assert report.accepted == 1
    assert image.prior == {"title": "shapes"}
