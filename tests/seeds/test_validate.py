"""The validator catches planted defects and names the file and the entry of each."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seeds.seedfiles import domain_data, write_domain
from visinstruct.errors import InputError
from visinstruct.seeds import Problem, validate_file, validate_path
from visinstruct.seeds._text import (
    NEAR_DUPLICATE_JACCARD,
    canonical,
    normalise,
    placeholder_errors,
    skeleton,
    trigram_jaccard,
)
from visinstruct.seeds.validate import _compare, _Forms


def _problems(tmp_path: Path, data: dict[str, object], stem: str | None = None) -> list[Problem]:
    return validate_file(write_domain(tmp_path, data, stem))


def _only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def test_clean_file_has_no_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path, domain_data()) == []


def test_unbalanced_placeholder_names_file_and_entry(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["judgement"]["zh"][2] = "暗部是否有明显的<噪点？"  # type: ignore[index]
    problem = _only(_problems(tmp_path, data), "placeholder")
    assert problem.file.endswith("image_quality.yaml")
    assert problem.entry == "seeds.judgement.zh[2]"
    assert "never closed" in problem.message
    assert str(problem).startswith(f"{problem.file}: seeds.judgement.zh[2]: ")
    assert problem.severity == "error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Is it <a/b>?", None),
        ("Is it <a／b>?", None),
        ("Is it <specific text>?", None),
        ("Is it a> b?", "no matching '<'"),
        ("Is it <a <b>>?", "opens inside"),
        ("Is it <>?", "empty placeholder"),
        ("Is it <  >?", "empty placeholder"),
        ("Is it <a//b>?", "empty alternative"),
        ("Is it <a/>?", "empty alternative"),
    ],
)
def test_placeholder_rules(text: str, expected: str | None) -> None:
    errors = placeholder_errors(text)
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1
        assert expected in errors[0]


def test_empty_list_is_caught(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["short_vqa"]["en"] = []  # type: ignore[index]
    problems = _problems(tmp_path, data)
    empty = [p for p in problems if p.code == "empty"]
    assert [p.entry for p in empty] == ["seeds.short_vqa.en"]
    assert "empty list" in empty[0].message


def test_missing_kind_and_language_are_caught(tmp_path: Path) -> None:
    data = domain_data()
    del data["seeds"]["long_vqa"]  # type: ignore[attr-defined]
    del data["seeds"]["judgement"]["zh"]  # type: ignore[index]
    entries = {p.entry for p in _problems(tmp_path, data) if p.code == "empty"}
    assert entries == {"seeds.long_vqa", "seeds.judgement.zh"}


def test_exact_duplicate_is_caught(tmp_path: Path) -> None:
    data = domain_data()
    en = data["seeds"]["multiple_choice"]["en"]  # type: ignore[index]
    en.append(en[0])
    data["seeds"]["multiple_choice"]["zh"].append("一个新的问题是什么？")  # type: ignore[index]
    problem = _only(_problems(tmp_path, data), "duplicate")
    assert problem.entry == "seeds.multiple_choice.en[3]"
    assert "seeds.multiple_choice.en[0]" in problem.message


@pytest.mark.parametrize(
    "variant",
    [
        "is the PHOTO <sharp/blurry> overall",  # case and punctuation
        "Is the photo <crisp/soft> overall?",  # only the placeholder content differs
        "Is this picture <sharp/blurry> overall?",  # article and image synonym
        "Is the photo <sharp/blurry>?",  # filler word dropped
    ],
)
def test_trivial_rewording_is_caught(tmp_path: Path, variant: str) -> None:
    data = domain_data()
    data["seeds"]["judgement"]["en"][1] = variant  # type: ignore[index]
    problems = [p for p in _problems(tmp_path, data) if p.code in {"duplicate", "near_duplicate"}]
    assert len(problems) == 1
    assert problems[0].entry == "seeds.judgement.en[1]"
    assert "seeds.judgement.en[0]" in problems[0].message


def test_chinese_near_duplicate_is_caught(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["judgement"]["zh"][1] = "这张图片整体是否<清晰/模糊>？"  # type: ignore[index]
    problem = _only(_problems(tmp_path, data), "near_duplicate")
    assert problem.entry == "seeds.judgement.zh[1]"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Is the image blurry?", "Is the image noisy?"),
        ("Is the cup on the table?", "Is the cup under the table?"),
        ("What is the main colour of the car?", "What is the main colour of the car's roof?"),
        ("Describe the lighting of the scene.", "Describe the composition of the scene."),
        ("这张照片整体是否清晰？", "这张照片整体是否过曝？"),
    ],
)
def test_natural_variants_pass(a: str, b: str) -> None:
    assert canonical(a) != canonical(b)
    assert trigram_jaccard(normalise(a), normalise(b)) < 0.85
    assert trigram_jaccard(canonical(a), canonical(b)) < 0.85


def test_misaligned_counts_are_caught(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["long_vqa"]["zh"].append("画面中的阴影说明了什么？")  # type: ignore[index]
    problem = _only(_problems(tmp_path, data), "count_mismatch")
    assert problem.entry == "seeds.long_vqa"
    assert "en has 3" in problem.message
    assert "zh has 4" in problem.message
    assert problem.severity == "warning"


def test_wrong_script_is_caught(tmp_path: Path) -> None:
    data = domain_data()
    data["seeds"]["short_vqa"]["zh"][0] = "What colour dominates?"  # type: ignore[index]
    data["seeds"]["short_vqa"]["en"][1] = "Which object is in focus？"  # type: ignore[index]
    entries = {p.entry for p in _problems(tmp_path, data) if p.code == "language"}
    assert entries == {"seeds.short_vqa.zh[0]", "seeds.short_vqa.en[1]"}


def test_domain_must_equal_file_stem(tmp_path: Path) -> None:
    problem = _only(_problems(tmp_path, domain_data(), stem="posters"), "domain")
    assert problem.entry == "domain"
    assert "'posters'" in problem.message


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    data = domain_data()
    data["author"] = "me"
    data["seeds"]["judgment"] = {"en": ["Is it?"], "zh": ["是吗？"]}  # type: ignore[index]
    data["seeds"]["short_vqa"]["fr"] = ["Quoi ?"]  # type: ignore[index]
    entries = {p.entry for p in _problems(tmp_path, data) if p.code == "schema"}
    assert entries == {"author", "seeds.judgment", "seeds.short_vqa.fr"}


def test_bad_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("domain: broken\nseeds: [unclosed\n", encoding="utf-8")
    (problem,) = validate_file(path)
    assert problem.code == "yaml"
    assert problem.entry.startswith("line ")


def test_validate_path_walks_a_folder(tmp_path: Path) -> None:
    write_domain(tmp_path, domain_data("image_quality"))
    bad = domain_data("posters")
    bad["seeds"]["judgement"]["en"][0] = "Is it <sharp?"  # type: ignore[index]
    write_domain(tmp_path, bad)
    report = validate_path(tmp_path)
    assert len(report.files) == 2
    assert [(Path(p.file).name, p.entry) for p in report.problems] == [
        ("posters.yaml", "seeds.judgement.en[0]")
    ]
    assert report.seeds == 48
    assert not report.ok


def test_validate_path_reports_an_empty_folder_and_rejects_a_missing_one(tmp_path: Path) -> None:
    assert [p.code for p in validate_path(tmp_path).problems] == ["empty"]
    with pytest.raises(InputError, match="no such seed file"):
        validate_path(tmp_path / "missing")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab <>/图的 ", max_size=14), st.text(alphabet="ab <>/图的 ", max_size=14))
def test_near_duplicate_verdicts_match_the_plain_scores(a: str, b: str) -> None:
    found = _compare(_Forms.of(a), _Forms.of(b), "entry 1")
    norm_a, norm_b, canon_a, canon_b = normalise(a), normalise(b), canonical(a), canonical(b)
    score = max(trigram_jaccard(norm_a, norm_b), trigram_jaccard(canon_a, canon_b))
    if a == b or norm_a == norm_b or skeleton(a) == skeleton(b) or canon_a == canon_b:
        assert found is not None
    elif score >= NEAR_DUPLICATE_JACCARD:
        assert found == ("near_duplicate", f"near-duplicate of entry 1 (similarity {score:.2f})")
    else:
        assert found is None
