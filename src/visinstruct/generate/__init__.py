"""Step (d): instructions of four kinds from captions and seed questions.

:mod:`~visinstruct.generate.prompts` builds versioned prompts; replies are judged by the rule
book (docs/PARSING.md): :mod:`~.parse` reads them (one reader per format) into raw items,
:mod:`~.fields` reads each field, :mod:`~.validate` runs the named checks, keeps the items whose
every field is unambiguous and names why the rest were refused; :class:`GenerateStage` runs it
as resumable work units, and :func:`import_generations` runs the reference engine's saved
outputs through the same checks.
"""

from __future__ import annotations

from visinstruct.generate.importer import (
    IMPORT_STAGE,
    GenerationImportReport,
    import_generations,
)
from visinstruct.generate.parse import RawItem, extract_json, parse_reply, split_options
from visinstruct.generate.prompts import (
    PROMPT_VERSIONS,
    REPLY_SCHEMA,
    PromptInput,
    generation_messages,
    repair_message,
    reply_schema,
)
from visinstruct.generate.stage import GenerateStage
from visinstruct.generate.validate import (
    Draft,
    ItemProblem,
    Reject,
    Rules,
    Verdict,
    check_item,
    infer_kind,
    judge_items,
)

__all__ = [
    "IMPORT_STAGE",
    "PROMPT_VERSIONS",
    "REPLY_SCHEMA",
    "Draft",
    "GenerateStage",
    "GenerationImportReport",
    "ItemProblem",
    "PromptInput",
    "RawItem",
    "Reject",
    "Rules",
    "Verdict",
    "check_item",
    "extract_json",
    "generation_messages",
    "import_generations",
    "infer_kind",
    "judge_items",
    "parse_reply",
    "repair_message",
    "reply_schema",
    "split_options",
]
