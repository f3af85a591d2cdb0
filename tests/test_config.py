from __future__ import annotations

from pathlib import Path

import pytest

from visinstruct.config import CONFIG_TEMPLATE, ProjectConfig, load_config, write_config
from visinstruct.errors import ConfigError


def test_template_loads_and_resolves_paths(tmp_path: Path) -> None:
    path = tmp_path / "visinstruct.yaml"
    path.write_text(CONFIG_TEMPLATE)
    config = load_config(path)
    assert config.collect.path == tmp_path / "images"
    assert config.export.dir == tmp_path / "exports"
    assert config.models.get("captioner").model == "gpt-4o-mini"
    assert config.models.generator is not None
    assert config.models.generator.json_mode == "object"


def test_unknown_key_names_file_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "visinstruct.yaml"
    path.write_text("version: 1\nmodels:\n  captioner:\n    model: m\n    concurrancy: 4\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "models.captioner.concurrancy" in message
    assert "line 5" in message
    assert "unknown key" in message


def test_bad_value_names_field(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("generate:\n  languages: [en, fr]\n")
    with pytest.raises(ConfigError, match=r"line 2, generate\.languages\.1"):
        load_config(path)


def test_key_in_place_of_variable_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("models:\n  generator:\n    model: m\n    api_key_env: sk-abcdefabcdef\n")
    with pytest.raises(ConfigError, match="looks like an API key"):
        load_config(path)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="visinstruct init"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_missing_role_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"models\.generator"):
        ProjectConfig().models.get("generator")


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    config = ProjectConfig.model_validate(
        {
            "models": {"captioner": {"model": "a", "concurrency": 3}},
            "generate": {"languages": ["zh"]},
        }
    )
    path = tmp_path / "visinstruct.yaml"
    write_config(config, path)
    again = load_config(path)
    assert again.models.get("captioner").concurrency == 3
    assert again.generate.languages == ["zh"]


def test_old_character_length_key_names_line_and_replacement(tmp_path: Path) -> None:
    path = tmp_path / "visinstruct.yaml"
    path.write_text("version: 1\ngenerate:\n  long_min_chars: 120\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "line 3" in message
    assert "generate.long_min_chars" in message and "long_min_words: 24" in message
    with pytest.raises(ValueError, match="long_min_words"):
        ProjectConfig.model_validate({"generate": {"long_min_chars": 80}})


def test_length_limits_are_words() -> None:
    generate = ProjectConfig.model_validate({"generate": {"long_min_words": 30}}).generate
    assert (generate.short_max_words, generate.long_min_words) == (8, 30)
