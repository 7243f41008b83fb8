"""Strict JSON in and out.

In: request bodies are parsed with orjson, which refuses the ``NaN``/``Infinity`` tokens that
Python's json module would let through; FastAPI turns the error into its usual 422.
Out: answers are encoded by orjson (NumPy arrays and lists of floats in C, never one Python
float at a time); a non-finite float would become ``null``, never a bare ``NaN`` token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

_NONFINITE = (b"NaN", b"Infinity")
MAX_FIELDS = 1000  # object keys in a body: every valid request has a few dozen (lists are not counted)


def count_keys(value: Any, limit: int) -> int:
    """Object keys in a parsed body, counting up to just past ``limit``."""
    n, todo = 0, [value]
    while todo and n <= limit:
        v = todo.pop()
        if isinstance(v, dict):
            n += len(v)
            todo.extend(x for x in v.values() if isinstance(x, (dict, list)))
        elif isinstance(v, list):
            todo.extend(x for x in v if isinstance(x, (dict, list)))
    return n


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError as err:
                msg = err.msg
                if any(tok in body for tok in _NONFINITE):
                    msg += "; NaN, Infinity and -Infinity are not valid JSON numbers"
                raise json.JSONDecodeError(msg, err.doc if isinstance(err.doc, str) else "", err.pos) from None
            if count_keys(self._json, MAX_FIELDS) > MAX_FIELDS:
                # refused before validation: 100,000 unknown keys would be 100,000 errors to build
                raise HTTPException(
                    422,
                    [
                        {
                            "type": "too_many_fields",
                            "loc": ["body"],
                            "msg": f"the body has more than {MAX_FIELDS} fields",
                        }
                    ],
                )
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
