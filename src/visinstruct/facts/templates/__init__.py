"""The question templates: each turns one family of facts into candidate items of one kind.

A template returns every item it can make for the image in one language; :mod:`compose`
picks among them. Judgement templates return items with their polarity already fixed (see
:func:`~visinstruct.facts.questions.polarities`), so picking a Yes and a No from one template
never asks one fact both ways. Objects' distractors come from the object's own category
(:mod:`~visinstruct.facts.lexicon`); text fields' distractors are other images' fields of the
same name, then made-up ones; colours' are colours measured absent.
"""

from __future__ import annotations

from visinstruct.facts.templates.base import Template, TemplateContext, short_of
from visinstruct.facts.templates.charts import (
    chart_pairs,
    judge_chart_above,
    judge_chart_order,
    judge_chart_value,
    mc_chart_type,
    mc_chart_value,
    mc_extreme,
    short_chart_total,
    short_chart_value,
    short_extreme,
)
from visinstruct.facts.templates.look import (
    judge_colour,
    mc_colour,
)
from visinstruct.facts.templates.objects import (
    judge_count,
    judge_object,
    judge_object_colour,
    judge_position,
    mc_category,
    mc_count,
    mc_object,
    mc_object_colour,
    mc_position,
    short_count,
    short_object_colour,
    short_position,
    short_subject,
)
from visinstruct.facts.templates.text import (
    judge_field,
    judge_text,
    mc_field,
    mc_text,
    short_field,
    short_first_line,
)

__all__ = ["TEMPLATES", "Template", "TemplateContext", "chart_pairs"]


TEMPLATES: tuple[Template, ...] = (
    Template("judge.object", "judgement", judge_object),
    Template("judge.count", "judgement", judge_count),
    Template("judge.object_colour", "judgement", judge_object_colour),
    Template("judge.position", "judgement", judge_position),
    Template("judge.text", "judgement", judge_text),
    Template("judge.field", "judgement", judge_field),
    Template("judge.chart_value", "judgement", judge_chart_value),
    Template("judge.chart_order", "judgement", judge_chart_order),
    Template("judge.chart_above", "judgement", judge_chart_above),
    Template("judge.colour", "judgement", judge_colour),
    Template("mc.object", "multiple_choice", mc_object),
    Template("mc.category", "multiple_choice", mc_category),
    Template("mc.count", "multiple_choice", mc_count),
    Template("mc.object_colour", "multiple_choice", mc_object_colour),
    Template("mc.position", "multiple_choice", mc_position),
    Template("mc.text", "multiple_choice", mc_text),
    Template("mc.field", "multiple_choice", mc_field),
    Template("mc.chart_value", "multiple_choice", mc_chart_value),
    Template("mc.chart_max", "multiple_choice", mc_extreme("chart_max")),
    Template("mc.chart_min", "multiple_choice", mc_extreme("chart_min")),
    Template("mc.chart_type", "multiple_choice", mc_chart_type),
    Template("mc.colour", "multiple_choice", mc_colour),
    Template("short.subject", "short_vqa", short_subject),
    Template("short.count", "short_vqa", short_count),
    Template("short.object_colour", "short_vqa", short_object_colour),
    Template("short.position", "short_vqa", short_position),
    Template("short.first_line", "short_vqa", short_first_line),
    Template("short.field", "short_vqa", short_field),
    Template("short.chart_value", "short_vqa", short_chart_value),
    Template("short.chart_max", "short_vqa", short_extreme("chart_max")),
    Template("short.chart_min", "short_vqa", short_extreme("chart_min")),
    Template("short.chart_total", "short_vqa", short_chart_total),
    Template("short.chart_title", "short_vqa",
             short_of("chart_title", "What is the title of the chart?", "图表的标题是什么？")),
    Template("short.chart_unit", "short_vqa",
             short_of("chart_unit", "In what unit are the chart's values given?",
                       "图表数值的单位是什么？")),
    Template("short.chart_type", "short_vqa",
             short_of("chart_type", "What type of chart is this?", "这是哪种类型的图表？")),
    Template("short.orientation", "short_vqa",
             short_of("orientation", "Is the image in landscape, portrait or square format?",
                       "这张图片是横向、纵向还是正方形构图？")),
    Template("short.palette", "short_vqa",
             short_of("palette", "Is the image in colour or black and white?",
                       "这张图片是彩色的还是黑白的？")),
    Template("short.brightness", "short_vqa",
             short_of("brightness", "Is the image bright or dark overall?",
                       "这张图片整体是明亮还是昏暗？")),
)  # fmt: skip
