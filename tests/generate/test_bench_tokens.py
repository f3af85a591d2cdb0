"""bench/generation_tokens.py runs and shows the combined layout's saving in prompt tokens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_combined_layout_costs_fewer_prompt_tokens_per_valid_instruction() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generation_tokens.py"), "--images", "2",
         "--caption-chars", "1200"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    per_valid: dict[tuple[str, str], float] = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[2] in ("per_kind", "combined"):
            assert cells[5] == "36"  # 2 images x 2 languages x 9 instructions, all valid
            per_valid[(cells[1], cells[2])] = float(cells[6])
    assert set(per_valid) == {(f, lay) for f in ("json", "tagged")
                              for lay in ("per_kind", "combined")}  # fmt: skip
    for fmt in ("json", "tagged"):
        assert per_valid[(fmt, "combined")] < 0.6 * per_valid[(fmt, "per_kind")]
