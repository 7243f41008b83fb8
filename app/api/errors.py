"""Error answers in the request's language.

Every error text is built from a message key and its values, in the language picked once when the
request arrived (`Language`, then `app.i18n.text` / `app.i18n.explain`). Pydantic's own messages
(missing field, wrong type, out of range with its bound, unknown field, bad choice) are English:
in another language they are rendered again from their ``type`` and ``ctx`` (``pydantic.<type>``
in ``app/i18n/errors.json``); in English they stay pydantic's, word for word.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from ..i18n import DEFAULT_LANG, current_lang, explain, messages, pick_lang, text, use_lang, value_error

MAX_ERRORS = 20  # a 422 lists the first errors and counts the rest: its size is bounded


class Language:
    """Pure ASGI middleware: the request's language, from ``?lang=`` then ``Accept-Language``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            lang = parse_qs(query.decode("latin-1")).get("lang", [None])[0] if b"lang=" in query else None
            header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"), None)
            use_lang(pick_lang(lang, header))
        await self.app(scope, receive, send)


def _word(value: Any, table: dict[str, str]) -> Any:
    """A context value as pydantic's English shows it (1e6 as 1000000), a word of it translated."""
    if isinstance(value, str):
        return table.get(f"pydantic.word.{value}", value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return int(value)
    return value


def _message(e: dict[str, Any], lang: str) -> str:
    """One error's text: pydantic's own in English, else from its type and context."""
    msg = str(e.get("msg", ""))
    kind, ctx = e.get("type"), e.get("ctx")
    ctx = ctx if isinstance(ctx, dict) else {}
    if kind == "json_invalid" and "error" in ctx:
        return text("error.json_invalid", lang, error=ctx["error"])
    if lang == DEFAULT_LANG:
        return msg
    if kind == "value_error" and isinstance(ctx.get("error"), BaseException):
        return value_error(explain(ctx["error"], lang), lang)
    key = f"pydantic.{kind}"
    table = messages(lang)
    if key in table:
        words = {k: _word(v, table) for k, v in ctx.items()}
        if isinstance(words.get("expected"), str):  # "'step' or 'epoch'"
            words["expected"] = words["expected"].replace(" or ", table["pydantic.or"])
        try:
            return text(key, lang, **words)
        except (KeyError, IndexError):  # a context without the value the text names
            return msg
    return msg


def errors_content(raw: list[dict[str, Any]]) -> dict[str, Any]:
    """The body of a 422: FastAPI's ``detail`` list (type, loc, msg), in this request's language."""
    lang = current_lang()
    errors = []
    for e in raw[:MAX_ERRORS]:
        err = {k: e[k] for k in ("type", "loc", "msg") if k in e}
        err["msg"] = _message(e, lang)
        errors.append(err)
    content: dict[str, Any] = {"detail": errors}
    if len(raw) > MAX_ERRORS:
        content["errors_total"] = len(raw)  # only the first MAX_ERRORS are listed
    return content
