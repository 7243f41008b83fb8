"""The one message catalogue: every user-facing text, in English and Simplified Chinese.

Texts live in ``app/i18n/*.json`` (one file per area: ``studio.json``, ``lessons.json``,
``catalogue.json``…), each ``{"key": {"en": "…", "zh": "…"}}``. A key is unique across files;
formulas are shared (they sit outside the catalogue, in the registry). Placeholders are written
``{name}`` and filled by the caller (``t()`` in ``static/js/i18n.js`` or :func:`text`).

Errors too: the language of a request is picked once, when it arrives (`use_lang`, from ``?lang=``
then ``Accept-Language``), and every error text built while answering it (`text`, `explain`) is in
that language. The engine's errors (`app.engine.explained.Explained`) carry a key and values and
their English; ``errors.json`` holds their other languages.
"""

from __future__ import annotations

import contextvars
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..engine.explained import ENGLISH, Explained

LANGS: tuple[str, ...] = ("en", "zh")
DEFAULT_LANG = "en"
_DIR = Path(__file__).resolve().parent
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("lang", default=DEFAULT_LANG)


def use_lang(lang: str) -> None:
    """The language of what is answered from here on in this context (a request, its threads)."""
    _LANG.set(lang if lang in LANGS else DEFAULT_LANG)


def current_lang() -> str:
    return _LANG.get()


@lru_cache
def catalogue() -> dict[str, dict[str, str]]:
    """key → {lang: text}, from every JSON file here. A key defined twice is an error.

    The registry's own texts (names and descriptions of surfaces, optimizers, schedules and their
    parameters) are written once, in English, next to their formulas in the registry:
    ``catalogue.json`` holds only their translations, and their English is taken from the registry.
    """
    out: dict[str, dict[str, str]] = {}
    for path in sorted(_DIR.glob("*.json")):
        for key, texts in json.loads(path.read_text(encoding="utf-8")).items():
            if key in out:
                raise ValueError(f"message key {key!r} is defined twice (again in {path.name})")
            out[key] = dict(texts)
    english = registry_english()
    for key, texts in out.items():
        if DEFAULT_LANG not in texts and key in english:
            texts[DEFAULT_LANG] = english[key]
    return out


@lru_cache
def registry_english() -> dict[str, str]:
    """The English texts of the registry under their catalogue keys: ``surface.<id>.name``,
    ``surface.<id>.description``, ``surface.<id>.dataset``, ``network.data.<id>.<name|shape|description>``,
    ``optimizer.<id>.param.<name>`` and, for a parameter whose description is the same wherever it
    appears, ``optimizer.param.<name>``; the network planes' ``plane.<id>.name`` and
    ``plane.<id>.description`` (app/engine/network/planes.py); a parameter's label ``param.name.<name>``
    and its choices' ``param.name.<name>.<choice>`` (in English, the names themselves); the engine's error messages
    (`app.engine.explained.ENGLISH`)."""
    from ..engine import expression, params, runner  # noqa: F401
    from ..engine.network import (
        DATA_SETS,  # the network's data sets, texts from their generators
        data,  # noqa: F401  (their error messages, declared on import)
    )
    from ..registry import OPTIMIZERS, SCHEDULES, SURFACES  # the registry knows nothing of texts

    out: dict[str, str] = dict(ENGLISH)
    for s in SURFACES.values():
        out[f"surface.{s.id}.name"] = s.name
        out[f"surface.{s.id}.description"] = s.description
        dataset = s.public().get("dataset")
        if isinstance(dataset, dict) and "description" in dataset:
            out[f"surface.{s.id}.dataset"] = dataset["description"]
    for d in DATA_SETS.values():
        for field in ("name", "shape", "description"):
            out[f"network.data.{d.id}.{field}"] = getattr(d, field)
    for kind, reg in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
        for o in reg.values():
            out[f"{kind}.{o.id}.name"] = o.name
            out[f"{kind}.{o.id}.description"] = o.description
            for p in o.params:
                out[f"{kind}.{o.id}.param.{p.name}"] = p.description
                out.setdefault(f"{kind}.param.{p.name}", p.description)
                out[f"param.name.{p.name}"] = p.name  # a control's label: in English, the name itself
                for choice in p.choices:
                    out[f"param.name.{p.name}.{choice}"] = choice
    from ..engine.network.planes import PLANES  # the network's planes: ``plane.<id>.name``, ``.description``

    for pl in PLANES.values():
        out[f"plane.{pl.id}.name"] = pl.name
        out[f"plane.{pl.id}.description"] = pl.description
    return out


@lru_cache
def messages(lang: str) -> dict[str, str]:
    """Every text in one language (English where a translation is missing)."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    return {k: v.get(lang) or v[DEFAULT_LANG] for k, v in catalogue().items()}


def text(key: str, lang: str | None = None, **values: object) -> str:
    """One text, with ``{name}`` placeholders filled; ``lang`` omitted: this request's language."""
    s = messages(lang or _LANG.get()).get(key, key)
    return s.format(**values) if values else s


def value_error(message: str, lang: str | None = None) -> str:
    """A validator's message as pydantic words it: in English "Value error, …" (pydantic's own
    prefix, which the pages drop), in another language the message alone."""
    return f"Value error, {message}" if (lang or _LANG.get()) == DEFAULT_LANG else message


def explain(err: BaseException, lang: str | None = None) -> str:
    """An error's text in ``lang`` (omitted: this request's language): an `Explained` one rendered
    from its key and values, any other as it is."""
    if not isinstance(err, Explained):
        return str(err)
    table = messages(lang or _LANG.get())

    def translate(key: str, values: dict[str, Any]) -> str:
        template = table.get(key, ENGLISH.get(key, key))
        return template.format(**values) if values else template

    return err.render(translate)


def pick_lang(query: str | None, accept_language: str | None) -> str:
    """``?lang=`` first, then the first supported language of ``Accept-Language`` (by q), else English."""
    if query:
        q = query.strip().lower().split("-")[0]
        if q in LANGS:
            return q
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in LANGS:
            continue
        qv = 1.0
        for p in params.split(";"):
            name, _, val = p.strip().partition("=")
            if name == "q":
                try:
                    qv = float(val)
                except ValueError:
                    qv = 0.0
        if best is None or qv > best[0]:
            best = (qv, base)
    return best[1] if best and best[0] > 0 else DEFAULT_LANG
