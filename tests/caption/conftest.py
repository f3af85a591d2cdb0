"""Fixtures for the caption step: one OCR engine per session, the test key, and projects
closed at the end of each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from caption.captionkit import KEY, KEY_ENV, require_ocr_libraries
from visinstruct.caption import RapidOcrReader
from visinstruct.project import Project


@pytest.fixture(scope="session")
def ocr_reader() -> RapidOcrReader:
    """Loading the engine takes about a second: once per session."""
    require_ocr_libraries()
    return RapidOcrReader()


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
def open_projects() -> Iterator[list[Project]]:
    """Projects a test opens, closed at the end whatever happens."""
    opened: list[Project] = []
    yield opened
    for project in opened:
        project.close()
