from __future__ import annotations

import json
import re

from PIL import Image

from visinstruct.export import PLOTS
from visinstruct.project import Project
from visinstruct.records import KINDS


def test_card_figures_match_stats_and_plots_open(project: Project) -> None:
    project.export(["llava"])
    out = project.config.export.dir
    card = (out / "README.md").read_text()
    stats = project.stats()
    assert json.loads((out / "stats.json").read_text()) == stats
    assert stats["instructions"] == 200 and stats["images"] == 25
    assert f"**{stats['instructions']} instructions on {stats['images']} images.**" in card
    for domain, kinds in stats["by_domain"].items():
        cells = [sum(kinds.get(k, {}).values()) for k in KINDS]
        row = "| " + " | ".join(str(c) for c in [domain, *cells, sum(cells)]) + " |"
        assert row in card
    judge = stats["answers"]["judgement"]
    assert judge == {"yes": 50, "no": 25, "yes_ratio": 0.667}
    assert f"{judge['yes']} Yes, {judge['no']} No" in card
    for plot in PLOTS:
        assert f"]({plot})" in card
        with Image.open(out / plot) as im:
            im.load()
            assert im.width > 100
    assert re.search(r"Total: \d+ calls", card)


def test_stats_json_command_prints_what_the_card_shows(project: Project) -> None:
    from click.testing import CliRunner

    from visinstruct.cli import main

    project.save_config()
    runner = CliRunner()
    exported = runner.invoke(main, ["export", "-p", str(project.root), "--format", "sharegpt"])
    assert exported.exit_code == 0, exported.output
    printed = runner.invoke(main, ["stats", "-p", str(project.root), "--json"])
    assert printed.exit_code == 0, printed.output
    card_stats = json.loads((project.root / "exports" / "stats.json").read_text())
    assert json.loads(printed.stdout) == card_stats
    assert card_stats["instructions"] == 200
