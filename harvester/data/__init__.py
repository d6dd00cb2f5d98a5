"""Data shipped inside the package (installed with it: see pyproject's package-data)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from ..reconcile.model import Topic, TopicGlossary


@cache
def topic_glossary() -> TopicGlossary:
    """The bilingual topic glossary `category_suspect` pools section profiles by."""
    text = resources.files(__package__).joinpath("topics.toml").read_text(encoding="utf-8")
    return glossary_from_toml(tomllib.loads(text))


def glossary_from_toml(data: dict[str, Any]) -> TopicGlossary:
    topics = tuple(
        Topic(name, tuple(table.get("headings", ())), tuple(table.get("words", ())))
        for name, table in data.get("topics", {}).items()
    )
    return TopicGlossary(topics=topics, catch_all=tuple(data.get("catch_all", ())))
