"""What several routes share, declared once: the language they answer in (a FastAPI dependency) and
how their 422 is documented."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query

from ..i18n import DEFAULT_LANG, LANGS, pick_lang


def language(
    lang: Annotated[
        str | None,
        Query(description=f"language of the texts: one of {', '.join(LANGS)} (default {DEFAULT_LANG})"),
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    """``?lang=`` first, then ``Accept-Language``, else the default language."""
    return pick_lang(lang, accept_language)


Lang = Annotated[str, Depends(language)]  # the language a route answers in

# `responses=` of a route whose body can be refused after validation (`InvalidRequest`)
INVALID: dict[int | str, dict[str, Any]] = {422: {"description": "Invalid request: the body says which field and why."}}
