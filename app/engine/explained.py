"""Errors that say why in any language: a message key and its values, rendered in English here.

The engine knows nothing of languages (nor of the message catalogue): it raises `Explained(key,
**values)`, whose ``str()`` is the English text written once below, next to the code that raises
it (`english`); the API renders the same key in the request's language (`app.i18n.explain`), from
``app/i18n/errors.json`` where the translations live. A value may itself be an `Explained` (a
part of a sentence that needs translating too: "optimizer", "schedule").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ENGLISH: dict[str, str] = {}  # key → English template, filled by `english` where each family is raised

Translate = Callable[[str, dict[str, Any]], str]  # (key, rendered values) → text in some language


def english(table: dict[str, str]) -> None:
    """Declare English templates (``{name}`` placeholders) under their keys; a key declared twice
    is an error (each text is written once)."""
    for key, template in table.items():
        if key in ENGLISH:
            raise ValueError(f"message key {key!r} is declared twice")
        ENGLISH[key] = template


def english_text(key: str, values: dict[str, Any]) -> str:
    template = ENGLISH[key]
    return template.format(**values) if values else template


class Explained(ValueError):
    """An error that is a message key and values; ``str()`` is its English text (rendered when
    asked: a valid value never pays for the sentence it did not need)."""

    def __init__(self, key: str, /, **values: Any) -> None:
        self.key, self.values = key, values
        super().__init__(key)

    def __str__(self) -> str:
        return self.render(english_text)

    def render(self, translate: Translate) -> str:
        """The text, every part of it (nested `Explained` values too) through ``translate``."""
        values = {k: v.render(translate) if isinstance(v, Explained) else v for k, v in self.values.items()}
        return translate(self.key, values)


class Term(Explained):
    """A word inside a sentence ("optimizer", "schedule"): an `Explained` that is not an error."""


english({"term.optimizer": "optimizer", "term.schedule": "schedule"})
