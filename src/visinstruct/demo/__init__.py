"""``visinstruct demo``: the whole engine on real photographs, offline, with no model.

The sample photographs ship inside scikit-image (the ``demo`` extra); posters and charts are
drawn on the spot, and a manifest of labels written by us says what each image shows.
"""

from __future__ import annotations

from visinstruct.demo.run import (
    DEMO_CONFIG,
    REAL_MODEL_LINE,
    DemoReport,
    run_demo,
    write_demo_project,
)
from visinstruct.demo.samples import DEMO_INSTALL_HINT, Sample, samples, write_samples

__all__ = [
    "DEMO_CONFIG",
    "DEMO_INSTALL_HINT",
    "REAL_MODEL_LINE",
    "DemoReport",
    "Sample",
    "run_demo",
    "samples",
    "write_demo_project",
    "write_samples",
]
