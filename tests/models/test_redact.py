"""Keys must not leak through bodies, messages or logs."""

from __future__ import annotations

import json

import pytest

from visinstruct.models.redact import MASK, redact


def test_masks_each_secret_wherever_it_appears() -> None:
    text = "key local-token-42 was wrong; again: local-token-42"
    assert redact(text, ["local-token-42"]) == f"key {MASK} was wrong; again: {MASK}"


def test_masks_json_escaped_spelling() -> None:
    secret = "abc/def+ghi"
    body = json.dumps({"msg": f"got {secret}"}).replace("/", "\\/")
    assert secret.replace("/", "\\/") in body
    assert "def+ghi" not in redact(body, [secret])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.DEF-123_x", f"Authorization: Bearer {MASK}"),
        ("bearer eyJhbGciOi.J9==", f"bearer {MASK}"),
        (
            "Incorrect API key provided: sk-proj-AbC123xyz_9.",
            f"Incorrect API key provided: {MASK}.",
        ),
        ("sk-ant-api03-aaaaaaaa", MASK),
    ],
)
def test_masks_things_that_look_like_keys(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_leaves_ordinary_text_and_empty_secrets_alone() -> None:
    text = "ask-me about sk- prefixes and a bearer of news"
    assert redact(text, ["", None]) == text


def test_longer_secret_masked_whole_when_it_contains_a_shorter_one() -> None:
    assert redact("token=abcdef123", ["abc", "abcdef123"]) == f"token={MASK}"
