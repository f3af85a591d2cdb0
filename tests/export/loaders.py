"""Each trainer's way of reading an export, written by us from its documented fields and path
joining, so the tests read the files the way the trainer would (none of these trainers can be
installed in the test environment).

- LLaVA-1.5 ``LazySupervisedDataset``: a JSON list; ``os.path.join(image_folder, image)``; the
  ``<image>`` token is moved to the front of the first human turn and every other literal
  ``<image>`` is deleted, so a sample must hold exactly one.
- LLaMA-Factory: ``dataset_info.json`` names ``file_name`` (under ``dataset_dir``), columns and
  tags; an image path that is a file under ``media_dir`` is joined to it; the number of
  ``<image>`` tokens must equal the number of images.
- ms-swift: ``messages`` / ``images``; relative paths joined to ``ROOT_IMAGE_DIR``.
- InternVL ``build_datasets``: every entry of the meta file is concatenated into training;
  ``os.path.join(root, image)``; ``<img>``, ``</img>`` and ``<IMG_CONTEXT>`` are its image
  tokens, so none may appear in text.
- VLMEvalKit: TSV, ``image`` is base64 or the index of the row holding it.
- lmms-eval: a task YAML whose ``!function`` entries name ``utils.py`` beside it.
"""

from __future__ import annotations

import base64
import csv
import importlib.util
import io
import json
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from PIL import Image

IMAGE = "<image>"
INTERNVL_TOKENS = ("<img>", "</img>", "<IMG_CONTEXT>")
SPECIAL = re.compile(r"<\|[^|<>\s]+\|>")


def _open(path: str) -> tuple[int, int]:
    with Image.open(path) as im:
        im.load()
        return im.size


def llava(data_path: Path, image_folder: str) -> list[dict[str, Any]]:
    samples = []
    for item in json.loads(data_path.read_text(encoding="utf-8")):
        turns = item["conversations"]
        assert [t["from"] for t in turns] == ["human", "gpt"] * (len(turns) // 2)
        assert sum(t["value"].count(IMAGE) for t in turns) == 1, item["id"]
        assert turns[0]["value"].startswith(IMAGE)
        _open(os.path.join(image_folder, item["image"]))
        samples.append(item)
    return samples


def llamafactory(dataset_dir: Path, dataset: str, media_dir: str | None = None) -> list[Any]:
    entry = json.loads((dataset_dir / "dataset_info.json").read_text())[dataset]
    assert entry["formatting"] == "sharegpt"
    columns, tags = entry["columns"], entry["tags"]
    media = media_dir or entry.get("media_dir") or str(dataset_dir)
    rows = json.loads((dataset_dir / entry["file_name"]).read_text(encoding="utf-8"))
    for row in rows:
        messages = row[columns["messages"]]
        roles = [m[tags["role_tag"]] for m in messages]
        assert roles == [tags["user_tag"], tags["assistant_tag"]] * (len(roles) // 2)
        images = [
            os.path.join(media, p) if os.path.isfile(os.path.join(media, p)) else p
            for p in row[columns["images"]]
        ]
        tokens = sum(m[tags["content_tag"]].count(IMAGE) for m in messages)
        assert tokens == len(images), "number of images does not match number of <image> tokens"
        for image in images:
            _open(image)
    return list(rows)


def swift(path: Path, root_image_dir: str) -> list[Any]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        assert sum(m["content"].count(IMAGE) for m in row["messages"]) == len(row["images"])
        for image in row["images"]:
            _open(image if os.path.isabs(image) else os.path.join(root_image_dir, image))
    return list(rows)


def internvl(meta_path: Path) -> dict[str, list[dict[str, Any]]]:
    """What ``build_datasets`` trains on: every entry of the meta file."""
    trained: dict[str, list[dict[str, Any]]] = {}
    for name, meta in json.loads(meta_path.read_text()).items():
        lines = Path(meta["annotation"]).read_text(encoding="utf-8").splitlines()
        assert len(lines) == meta["length"]
        rows = [json.loads(line) for line in lines]
        for row in rows:
            width, height = _open(os.path.join(meta["root"], row["image"]))
            assert (width, height) == (row["width"], row["height"])
            text = " ".join(t["value"] for t in row["conversations"])
            assert not any(token in text for token in INTERNVL_TOKENS), row["id"]
            assert text.count(IMAGE) == 1
        trained[name] = rows
    return trained


def vlmevalkit(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t"))
    by_index = {r["index"]: r for r in rows}
    for row in rows:
        image = row["image"]
        if len(image) <= 64:  # a reference to the row that holds this image
            image = by_index[image]["image"]
        Image.open(io.BytesIO(base64.b64decode(image))).verify()
    return rows


class _Loader(yaml.SafeLoader):
    pass


def lmms_eval_task(task_yaml: Path) -> tuple[dict[str, Any], ModuleType, list[dict[str, Any]]]:
    """The task config with its ``!function`` entries resolved, the utils module, the docs."""
    spec = importlib.util.spec_from_file_location("utils", task_yaml.parent / "utils.py")
    assert spec is not None and spec.loader is not None
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)

    def function(loader: yaml.Loader, node: yaml.Node) -> Any:
        module, name = str(loader.construct_scalar(node)).split(".")  # type: ignore[arg-type]
        assert module == "utils"
        return getattr(utils, name)

    _Loader.add_constructor("!function", function)
    config = yaml.load(task_yaml.read_text(), Loader=_Loader)
    assert config["dataset_path"] == "json"
    data = Path(config["dataset_kwargs"]["data_files"][config["test_split"]])
    docs = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    return config, utils, docs
