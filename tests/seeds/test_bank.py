"""Loading the bank: typed models, layering, errors that name file and entry, the shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest

import visinstruct.seeds as seeds_api
from seeds.seedfiles import domain_data, write_domain
from visinstruct.errors import InputError
from visinstruct.records import KINDS, LANGUAGES
from visinstruct.seeds import (
    load_bank,
    load_domain_file,
    shipped_bank_files,
    validate_shipped_bank,
)

SHIPPED_DOMAINS = 24
MIN_SEEDS_PER_CELL = 6


def test_public_api_is_sorted_and_resolves() -> None:
    names = seeds_api.__all__
    upper = [n for n in names if n.isupper()]
    camel = [n for n in names if n[0].isupper() and not n.isupper()]
    lower = [n for n in names if n[0].islower()]
    assert names == sorted(upper) + sorted(camel) + sorted(lower)
    for name in names:
        assert getattr(seeds_api, name) is not None


def test_load_domain_file_returns_a_typed_domain(tmp_path: Path) -> None:
    domain = load_domain_file(write_domain(tmp_path, domain_data()))
    assert domain.domain == "image_quality"
    assert domain.questions("judgement", "zh")[0] == "这张照片整体是否<清晰／模糊>？"
    assert domain.counts() == {k: {"en": 3, "zh": 3} for k in KINDS}
    assert domain.total() == 24


def test_load_error_names_file_and_entry(tmp_path: Path) -> None:
    data = domain_data("posters")
    data["seeds"]["judgement"]["zh"].append("海报上的<标题是什么？")  # type: ignore[index]
    data["seeds"]["judgement"]["en"].append("What is the <title on the poster?")  # type: ignore[index]
    path = write_domain(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_domain_file(path)
    message = str(info.value)
    assert f"{path}: seeds.judgement.zh[3]: " in message
    assert f"{path}: seeds.judgement.en[3]: " in message


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["long_vqa"]["zh"].append("画面中的阴影说明了什么？")  # type: ignore[index]
    domain = load_domain_file(write_domain(tmp_path, data))
    assert len(domain.questions("long_vqa", "zh")) == 4


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_domain_file(tmp_path / "nope.yaml")


def test_layers_project_then_extra_paths_later_file_wins(tmp_path: Path) -> None:
    project = tmp_path / "project"
    mine = domain_data("image_quality")
    mine["title"] = "Project quality"
    write_domain(project / "seeds", mine)
    write_domain(project / "seeds", domain_data("my_new_domain"))
    extra = domain_data("image_quality")
    extra["title"] = "Extra quality"
    extra_file = write_domain(tmp_path / "extra", extra)

    bank = load_bank(project_dir=project)
    assert bank.domain("image_quality").title == "Project quality"
    assert "my_new_domain" in bank.names()

    bank = load_bank(extra_paths=[extra_file], project_dir=project)
    assert bank.domain("image_quality").title == "Extra quality"
    assert bank.sources["image_quality"] == str(extra_file)


def test_missing_extra_path_and_unknown_domain_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such seed file or folder"):
        load_bank(extra_paths=[tmp_path / "missing"])
    bank = load_bank(extra_paths=[write_domain(tmp_path, domain_data("my_new_domain"))])
    with pytest.raises(InputError, match=r"add a seeds/nowhere\.yaml"):
        bank.domain("nowhere")


def test_shipped_bank_loads_and_validates_clean() -> None:
    files = shipped_bank_files()
    if not files:
        pytest.skip("no seed files are shipped yet")
    report = validate_shipped_bank()
    assert report.problems == [], "\n".join(str(p) for p in report.problems)
    bank = load_bank()
    assert len(bank.names()) == len(files)


@pytest.mark.skipif(
    len(shipped_bank_files()) != SHIPPED_DOMAINS,
    reason="strict only once all 24 shipped domain files exist",
)
def test_shipped_bank_is_complete() -> None:
    bank = load_bank()
    assert len(bank.names()) == SHIPPED_DOMAINS
    for name in bank.names():
        for kind in KINDS:
            for lang in LANGUAGES:
                n = len(bank.questions(name, kind, lang))
                assert n >= MIN_SEEDS_PER_CELL, f"{name}.{kind}.{lang} has {n} seeds"
