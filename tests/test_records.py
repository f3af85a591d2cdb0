from __future__ import annotations

import pytest
from pydantic import ValidationError

import visinstruct
from visinstruct.records import Instruction, Provenance, content_id


def test_content_id_is_stable_and_order_sensitive() -> None:
    assert content_id("a", 1, ["x"]) == content_id("a", 1, ["x"])
    assert content_id("a", 1) != content_id(1, "a")
    assert len(content_id("a")) == 32


def test_instruction_id_covers_content_and_lineage() -> None:
    def make(answer: str = "Yes", caption: str | None = "c1", config: str = "g1") -> str:
        return Instruction.make_id(
            "img", "judgement", "en", "Is it red?", [], answer,
            caption_id=caption, config_hash=config,
        )  # fmt: skip

    assert make() == make()
    assert make() != make(answer="No")
    assert make() != make(caption="c2")  # the same text from another caption
    assert make() != make(config="g2")  # the same text under other generation settings


def test_records_reject_unknown_fields_and_kinds() -> None:
    prov = Provenance(model="m", prompt_version="v1", config_hash="h")
    with pytest.raises(ValidationError):
        Instruction(
            id="x", image_id="i", domain="d", kind="essay", language="en",  # type: ignore[arg-type]
            question="q", answer="a", provenance=prov,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        Provenance(model="m", prompt_version="v1", config_hash="h", colour="red")  # type: ignore[call-arg]


def test_public_api_is_sorted_and_pinned() -> None:
    assert visinstruct.__all__ == sorted(visinstruct.__all__, key=lambda n: (not n.isupper(), n))
    assert set(visinstruct.__all__) == {
        "KINDS", "LANGUAGES", "Caption", "ConfigError", "Conversation", "FatalModelError",
        "ImageRecord", "InputError", "Instruction", "ModelCall", "ModelError", "ModelSpec",
        "OutputParseError", "Project", "ProjectConfig", "StoreError", "TransientModelError",
        "UnitError", "VisinstructError", "load_config", "write_config",
    }  # fmt: skip
    for name in visinstruct.__all__:
        assert hasattr(visinstruct, name)
