"""Strict JSON in and out.

In: request bodies are parsed with orjson, which refuses the ``NaN``/``Infinity`` tokens that
Python's json module would let through; FastAPI turns the error into its usual 422.
Out: answers are encoded by orjson (NumPy arrays and lists of floats in C, never one Python
float at a time); a non-finite float would become ``null``, never a bare ``NaN`` token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ..i18n import DEFAULT_LANG, catalogue, current_lang, text
from .schemas_lessons import MAX_SERIES

_NONFINITE = (b"NaN", b"Infinity")
MAX_FIELDS = 1000  # object keys in a body: every valid request has a few dozen
# values in a body's lists, all lists together: the longest valid list (a lesson's series) and room
# for the others (runs, chains, milestones); a 1 MB body holds ~500,000 (`[1,1,…]`)
MAX_ITEMS = MAX_SERIES + 10 * MAX_FIELDS


def count_fields(value: Any, limit: int = MAX_FIELDS, items: int = MAX_ITEMS) -> tuple[int, int]:
    """Object keys and list values in a parsed body, counting up to just past either limit (a
    list's length is counted before its values are looked at)."""
    keys = values = 0
    todo = [value]
    while todo and keys <= limit and values <= items:
        v = todo.pop()
        if isinstance(v, dict):
            keys += len(v)
            todo.extend(x for x in v.values() if isinstance(x, (dict, list)))
        elif isinstance(v, list):
            values += len(v)
            if values <= items:
                todo.extend(x for x in v if isinstance(x, (dict, list)))
    return keys, values


def oversized(value: Any) -> dict[str, Any] | None:
    """The error for a body with more keys or list values than any valid request, else None:
    refused before validation (100,000 unknown keys would be 100,000 errors to build, 500,000
    list values 0.1–0.35 s of validation on the event loop)."""
    keys, values = count_fields(value)
    if keys > MAX_FIELDS:
        return {"type": "too_many_fields", "loc": ["body"], "msg": text("error.too_many_fields", limit=MAX_FIELDS)}
    if values > MAX_ITEMS:
        return {"type": "too_many_items", "loc": ["body"], "msg": text("error.too_many_items", limit=MAX_ITEMS)}
    return None


_SYMBOLS = {",": "comma", "]": "bracket", "}": "brace", ":": "colon"}


def parse_error(message: str) -> str:
    """The JSON parser's (orjson's) message in this request's language: as it is in English, else
    its translation from the catalogue (``json.error.*``, keyed by its words), or a plain "cannot be
    parsed" when the parser words it in a way the catalogue does not know."""
    if current_lang() == DEFAULT_LANG:
        return message
    words = re.sub(r"'([,\]}:])'", lambda m: f" {_SYMBOLS[m[1]]} ", message.lower())
    key = "json.error." + re.sub(r"[^a-z0-9]+", "_", words).strip("_")
    return text(key if key in catalogue() else "json.error.unknown")


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError as err:
                msg = parse_error(err.msg)
                if any(tok in body for tok in _NONFINITE):
                    msg += text("error.json_nonfinite")
                raise json.JSONDecodeError(msg, err.doc if isinstance(err.doc, str) else "", err.pos) from None
            error = oversized(self._json)
            if error is not None:
                raise HTTPException(422, [error])
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


class ORJSONResponse(JSONResponse):
    """JSON encoded by orjson; bytes already encoded (in a worker thread) pass through."""

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
