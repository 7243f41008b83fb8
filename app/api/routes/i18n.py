"""The message catalogue in one language: ``GET /api/v1/messages?lang=zh`` (or ``Accept-Language``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from ...i18n import LANGS, messages, pick_lang

router = APIRouter(prefix="/api/v1", tags=["catalogue"])


@router.get("/messages", summary="User-facing texts in one language")
def get_messages(
    lang: Annotated[str | None, Query(description=f"one of {', '.join(LANGS)}")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    """Every text of the studio, the lessons and the catalogue, keyed; `lang` wins over `Accept-Language`."""
    chosen = pick_lang(lang, accept_language)
    return {"lang": chosen, "languages": list(LANGS), "messages": messages(chosen)}
