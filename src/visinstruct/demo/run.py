"""Build the demo project and run the whole engine on it offline.

collect (from the manifest) → caption (``annotations`` backend) → generate (``template``
backend) → export. Nothing calls a model or the network; the project folder that remains is an
ordinary project, and changing one line of its config points it at a real model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.collect import CollectReport
from visinstruct.config import CONFIG_FILENAME
from visinstruct.demo.samples import write_samples
from visinstruct.executors import Progress, StageSummary
from visinstruct.export import ExportReport
from visinstruct.project import Project

__all__ = ["DEMO_CONFIG", "REAL_MODEL_LINE", "DemoReport", "run_demo", "write_demo_project"]

REAL_MODEL_LINE = "  generator: {model: gpt-4o-mini}"

DEMO_CONFIG = """\
# The visinstruct demo: real photographs, posters and charts with a manifest of labels,
# run with no model at all. Captions are assembled from the labels and measurements
# (backend: annotations); instructions are filled from the same facts (backend: template).
#
# To use a real model instead, replace the generator line below with
#   generator: {model: gpt-4o-mini}
# (the endpoint comes from OPENAI_BASE_URL / OPENAI_API_KEY) and run
#   visinstruct run --config THIS_FILE
version: 1
name: visinstruct-demo

collect:
  manifest: images/manifest.jsonl

models:
  captioner: {backend: annotations, model: annotations}
  generator: {backend: template, model: template}

ocr:
  enabled: false            # the manifest already gives each poster's text exactly

generate:
  languages: [en, zh]
  counts: {judgement: 4, multiple_choice: 2, long_vqa: 1, short_vqa: 2}
  reject_seed_copies: false # template questions fill seed questions by design

export:
  dir: exports
"""


@dataclass
class DemoReport:
    project: Path
    config: Path
    collected: CollectReport
    stages: list[StageSummary] = field(default_factory=list)
    exports: list[ExportReport] = field(default_factory=list)
    instructions: int = 0
    seconds: float = 0.0


def write_demo_project(out: Path) -> Path:
    """Write the sample images, their manifest and the demo config; return the config path."""
    out.mkdir(parents=True, exist_ok=True)
    write_samples(out / "images")
    config = out / CONFIG_FILENAME
    if not config.exists():  # a config the user edited (e.g. to a real model) is kept
        config.write_text(DEMO_CONFIG, encoding="utf-8")
    return config


def run_demo(out: Path, progress: Progress | None = None) -> DemoReport:
    """Build the demo project in ``out`` (reusing what a previous run left) and run it."""
    started = time.monotonic()
    config = write_demo_project(out)
    with Project.from_config_file(config) as project, project.lock():
        report = DemoReport(project=project.root, config=config, collected=project.collect())
        report.stages.append(project.caption(progress))
        report.stages.append(project.generate(progress))
        report.exports = project.export()
        report.instructions = int(project.status()["instructions"])
    report.seconds = time.monotonic() - started
    return report
