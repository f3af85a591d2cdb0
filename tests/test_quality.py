"""The house rules, enforced by the suite: ruff (lint and format) and mypy --strict on src/,
and only the store writes SQL, only models/ talks HTTP, only cli/ prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "visinstruct"


def _tool(name: str) -> list[str]:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed; install the dev extra: pip install -e '.[dev]'")
    return [found]


@pytest.mark.slow
def test_ruff_lint_and_format() -> None:
    lint = subprocess.run(
        [*_tool("ruff"), "check", "src", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [*_tool("ruff"), "format", "--check", "src", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    result = subprocess.run(_tool("mypy"), cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr


def _sources_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    hits = set()
    for path in SRC.rglob("*.py"):
        if regex.search(path.read_text(encoding="utf-8")):
            hits.add(path.relative_to(SRC).parts[0])
    return hits


def test_only_the_store_writes_sql() -> None:
    assert _sources_matching(r"import sqlite3|\bINSERT INTO\b|\bCREATE TABLE\b") <= {"store"}


def test_only_models_talk_http() -> None:
    """Model calls go through models/; collect/ may download images (with its own guards)."""
    pattern = r"^\s*(import|from) (httpx|requests|urllib\.request|aiohttp)\b"
    assert _sources_matching(pattern) <= {"models", "collect"}


def test_only_the_cli_prints() -> None:
    printers = _sources_matching(r"(^|\s)print\(|click\.echo|Console\(")
    assert printers <= {"cli"}
