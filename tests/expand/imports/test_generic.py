"""The mapping importer: JSONL, CSV and parquet (with embedded image bytes) via a typed mapping."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from expand.imports.datasets import open_store, picture_bytes, save_picture
from visinstruct.errors import ConfigError, InputError
from visinstruct.expand.imports import (
    IMPORTED_IMAGES_DIR,
    Columns,
    ImportMapping,
    import_dataset,
    load_mapping,
)
from visinstruct.records import Instruction
from visinstruct.store import Store


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def store(project: Path) -> Store:
    return open_store(project)


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _instructions(store: Store) -> dict[str, Instruction]:
    return {i.question: i for i in store.instructions_of("import:generic")}


def test_jsonl_infers_kinds_and_reports_bad_lines(
    tmp_path: Path, project: Path, store: Store
) -> None:
    data = tmp_path / "data"
    for n in range(4):
        save_picture(data / "img" / f"{n}.png", n)
    rows = [
        {"image": "img/0.png", "question": "What colour is the box?",
         "choices": ["red", "white", "blue", "green"], "answer": "B"},
        {"image": "img/1.png", "question": "Is there a box?", "answer": "yes"},
        '{"image": "img/2.png", "question": broken',
        {"image": "img/2.png", "question": "What is written?", "answer": "the number two"},
        {"image": "img/3.png", "question": "Describe the picture.",
         "answer": "A small flat picture with a pale box on the left and a digit beside it."},
        {"image": "img/3.png", "question": "图中有方框吗？", "answer": "是"},
        {"image": "img/3.png", "question": "Pick one.", "choices": ["a", "b", "c"], "answer": 0},
        {"image": "img/9.png", "question": "Where is this?", "answer": "nowhere"},
        {"image": "img/0.png", "question": "", "answer": "x"},
    ]  # fmt: skip
    file = _write_jsonl(data / "qa.jsonl", rows)
    report = import_dataset(store, project, file, domain="ocr")
    assert (report.rows, report.imported, report.skipped_count) == (9, 5, 1)
    assert report.error_count == 3
    assert report.errors[0] == f"{file}:3: not valid JSON (Expecting value at column 36)"
    assert report.errors[1].startswith(f"{file}:8: image {data / 'img' / '9.png'} not found")
    assert report.errors[2] == f"{file}:9: column 'question' (question) is missing or empty"
    assert list(report.skipped) == [
        "3 options: only 4-option items become multiple choice "
        "(declare kind short_vqa to keep them, options in the question)"
    ]
    got = _instructions(store)
    assert {q: (i.kind, i.language, i.answer) for q, i in got.items()} == {
        "What colour is the box?": ("multiple_choice", "en", "B"),
        "Is there a box?": ("judgement", "en", "Yes"),
        "What is written?": ("short_vqa", "en", "the number two"),
        "Describe the picture.": ("long_vqa", "en", rows[4]["answer"]),  # type: ignore[index]
        "图中有方框吗？": ("judgement", "zh", "是"),
    }
    assert {i.domain for i in got.values()} == {"ocr"}


def test_csv_with_option_columns_kind_domain_context_and_index(
    tmp_path: Path, project: Path, store: Store
) -> None:
    save_picture(tmp_path / "a.png", 1)
    file = tmp_path / "qa.csv"
    header = ["qid", "img", "q", "A", "B", "C", "D", "label", "type", "area", "hint", "part"]
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(
            [
                "q1",
                "a.png",
                "Which shape?",
                "circle",
                "box",
                "star",
                "line",
                "2",
                "",
                "Attribute Recognition",
                "Look left.",
                "train",
            ]
        )
        writer.writerow(
            [
                "q2",
                "a.png",
                "Name the shape.",
                "circle",
                "box",
                "",
                "",
                "2",
                "short_vqa",
                "",
                "",
                "train",
            ]
        )
        writer.writerow(
            [
                "q3",
                "a.png",
                "Which shape?",
                "circle",
                "box",
                "star",
                "line",
                "9",
                "",
                "",
                "",
                "train",
            ]
        )
        writer.writerow(
            ["q4", "a.png", "Other split?", "a", "b", "c", "d", "1", "", "", "", "test"]
        )
    mapping = ImportMapping(
        columns=Columns(id="qid", image="img", question="q", choices=["A", "B", "C", "D"],
                        answer="label", kind="type", domain="area", context="hint",
                        split="part"),
        answer_format="index", index_base=1, domain="spatial_relationship",
    )  # fmt: skip
    report = import_dataset(store, project, file, mapping=mapping, split="train")
    assert (report.rows, report.other_split, report.imported) == (3, 1, 2)
    assert report.errors == [
        f"{file}:4 (row 3): answer index 9 is out of range for 4 options (indices start at 1)"
    ]
    got = _instructions(store)
    shape = got["Context: Look left.\nWhich shape?"]
    assert (shape.kind, shape.answer, shape.domain) == (
        "multiple_choice", "B", "attribute_recognition"
    )  # fmt: skip
    named = got["Name the shape.\nOptions: circle; box"]
    assert (named.kind, named.answer, named.domain) == ("short_vqa", "box", "spatial_relationship")
    keys = {f["unit_key"] for f in store.failures("import", "import:generic")}
    assert keys == {f"generic:{file.resolve()}#id q3"}


def test_parquet_with_embedded_image_bytes(tmp_path: Path, project: Path, store: Store) -> None:
    png, jpeg = picture_bytes(1), picture_bytes(2, "JPEG")
    table = pa.table({
        "image": [png, jpeg, png, b"not an image"],
        "question": ["Is it red?", "What digit is shown?", "Is there a box?", "Broken?"],
        "answer": ["no", "2", "yes", "yes"],
    })  # fmt: skip
    file = tmp_path / "qa.parquet"
    pq.write_table(table, file)
    report = import_dataset(store, project, file, domain="ocr")
    assert (report.imported, report.images_added, report.error_count) == (3, 2, 1)
    assert report.errors[0].startswith(f"{file}: row 3: the embedded image bytes are not an image")
    folder = project / IMPORTED_IMAGES_DIR
    expected = {f"{hashlib.sha256(png).hexdigest()}.png", f"{hashlib.sha256(jpeg).hexdigest()}.jpg"}
    assert {p.name for p in folder.iterdir()} == expected
    got = _instructions(store)
    image = store.image(got["What digit is shown?"].image_id)
    assert image.id == hashlib.sha256(jpeg).hexdigest()
    assert Path(image.path).read_bytes() == jpeg
    assert image.format == "JPEG"
    assert got["Is it red?"].image_id == got["Is there a box?"].image_id
    again = import_dataset(store, project, file, domain="ocr")
    assert (again.imported, again.images_added, again.already_done) == (0, 0, 3)
    assert store.count_images() == 2


def test_parquet_with_a_hugging_face_image_struct(
    tmp_path: Path, project: Path, store: Store
) -> None:
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    images = pa.array([{"bytes": picture_bytes(5), "path": "5.png"}], type=image_type)
    table = pa.table({"img": images, "prompt": ["Which digit?"], "label": ["5"]})
    file = tmp_path / "hf.parquet"
    pq.write_table(table, file)
    mapping = ImportMapping(columns=Columns(image="img", question="prompt", answer="label"))
    report = import_dataset(store, project, file, mapping=mapping, domain="ocr")
    assert report.imported == 1
    (only,) = store.instructions_of("import:generic")
    assert (only.kind, only.answer) == ("short_vqa", "5")


def test_a_generic_import_needs_a_domain(tmp_path: Path, project: Path, store: Store) -> None:
    file = _write_jsonl(tmp_path / "qa.jsonl", [{"image": "x.png", "question": "q", "answer": "a"}])
    with pytest.raises(InputError, match="no domain for these rows; pass --domain"):
        import_dataset(store, project, file)


def test_limit_takes_the_first_rows_only(tmp_path: Path, project: Path, store: Store) -> None:
    save_picture(tmp_path / "a.png", 1)
    rows = [{"image": "a.png", "question": f"Question {n}?", "answer": "yes"} for n in range(5)]
    file = _write_jsonl(tmp_path / "qa.jsonl", rows)
    assert import_dataset(store, project, file, domain="ocr", limit=2).imported == 2
    report = import_dataset(store, project, file, domain="ocr", limit=4)
    assert (report.already_done, report.imported) == (2, 2)
    assert store.count_instructions("import:generic") == 4


def test_mapping_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("columns:\n  image: img\n  questoin: q\nanswer_format: word\n")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "columns.questoin: unknown key (check the spelling)" in message
    assert "answer_format: " in message


def test_mapping_file_loads_with_image_root_relative_to_it(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "mapping.yaml"
    path.parent.mkdir()
    path.write_text(
        "format: csv\ncolumns:\n  image: file\n  choices: [a, b, c, d]\nimage_root: ../pics\n"
    )
    mapping = load_mapping(path)
    assert mapping.format == "csv"
    assert mapping.columns.choices == ["a", "b", "c", "d"]
    assert mapping.image_root == path.parent / "../pics"
