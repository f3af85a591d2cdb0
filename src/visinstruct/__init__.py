"""visinstruct: a data engine that turns image collections into visual instruction-tuning data.

The public Python API. Implementation lives in the sub-packages, one per step of the engine.
"""

from __future__ import annotations

from visinstruct.config import ModelSpec, ProjectConfig, load_config, write_config
from visinstruct.errors import (
    ConfigError,
    FatalModelError,
    InputError,
    ModelError,
    OutputParseError,
    StoreError,
    TransientModelError,
    UnitError,
    VisinstructError,
)
from visinstruct.project import Project
from visinstruct.records import (
    KINDS,
    LANGUAGES,
    Caption,
    Conversation,
    ImageRecord,
    Instruction,
    ModelCall,
)

__all__ = [
    "KINDS",
    "LANGUAGES",
    "Caption",
    "ConfigError",
    "Conversation",
    "FatalModelError",
    "ImageRecord",
    "InputError",
    "Instruction",
    "ModelCall",
    "ModelError",
    "ModelSpec",
    "OutputParseError",
    "Project",
    "ProjectConfig",
    "StoreError",
    "TransientModelError",
    "UnitError",
    "VisinstructError",
    "load_config",
    "write_config",
]

__version__ = "0.1.0"
