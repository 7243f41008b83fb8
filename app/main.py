"""The ASGI app: assembles routers, middleware and static files. Nothing else lives here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import plotly
import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from . import __version__
from .api.capacity import RequestLimit, SlowReaders
from .api.compute import RequestDeadline
from .api.encoding import QGZipMiddleware
from .api.errors import MAX_ERRORS as MAX_ERRORS  # re-exported: a 422 lists this many errors
from .api.errors import Language, errors_content
from .api.fast import FastTrajectories
from .api.lifecycle import lifespan
from .api.middleware import BodySizeLimit, SecurityHeaders, WhitelistStatic
from .api.routes import (
    catalogue,
    curvature,
    docs,
    export,
    expressions,
    gradient_noise,
    grid,
    health,
    i18n,
    inspect,
    lessons,
    limits,
    network_export,
    network_race,
    networks,
    pages,
    trajectories,
)
from .api.service import InvalidRequest
from .i18n import text
from .main_paths import ROOT
from .registry import OPTIMIZERS, SCHEDULES, OptimizerSpec, ScheduleSpec
from .settings import get_settings

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
GZIP_MIN_BYTES = 1024  # smaller answers go as they are; event streams are never compressed (buffered)
# level 1: a 27 MB answer (16 runs × 20,000 steps) becomes 10.1 MB in 0.16 s on the event loop;
# Starlette's default 9 gains 6 % more for 5 s (measured)
GZIP_LEVEL = 1
# third-party files served: exactly what the pages use (no stock index.html, no source maps)
VENDOR = {"plotly.min.js"}
SWAGGER = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}  # what /docs loads
OWN_SUFFIXES = (".js", ".css", ".png", ".svg", ".ico", ".woff2", ".json", ".txt")  # never .map
log = logging.getLogger("optiviz")


def _names(specs: Iterable[OptimizerSpec | ScheduleSpec]) -> str:
    names = [s.name for s in specs]
    return ", ".join(names[:-1]) + " and " + names[-1]


DESCRIPTION = f"""
See how the optimizers of deep learning move across a loss surface.

Run {_names(OPTIMIZERS.values())}, with learning-rate schedules ({_names(SCHEDULES.values()).lower()}),
on built-in, dataset (true mini-batches) and custom surfaces. Trajectories follow torch.optim's
conventions to float64 round-off. Output is strict JSON (no NaN/Infinity).
"""

# one router per resource, in this order
ROUTERS = tuple(
    module.router
    for module in (
        health,
        catalogue,
        i18n,
        limits,
        trajectories,
        export,
        network_export,
        inspect,
        curvature,
        gradient_noise,
        grid,
        expressions,
        lessons,
        networks,
        network_race,
        pages,
        docs,
    )
)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="optiviz",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py with local assets
        redoc_url=None,
    )
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static/vendor", WhitelistStatic(directory=PLOTLY_DIR, names=VENDOR), name="vendor")
    app.mount("/static/swagger", WhitelistStatic(directory=SWAGGER_DIR, names=SWAGGER), name="swagger")
    app.mount("/static", WhitelistStatic(directory=ROOT / "static", suffixes=OWN_SUFFIXES), name="static")

    def errors_response(raw: list[dict[str, Any]]) -> JSONResponse:
        return JSONResponse(status_code=422, content=errors_content(raw))  # in the request's language

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return errors_response(list(exc.errors()))

    @app.exception_handler(InvalidRequest)
    async def invalid_request(request: Request, exc: InvalidRequest) -> JSONResponse:
        return errors_response(exc.errors())

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # never leak internals
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": text("error.internal")})

    app.add_middleware(QGZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)  # not event streams
    # small trajectory requests: the same answer without the framework's per-request layers (app/api/fast.py)
    app.add_middleware(
        FastTrajectories, gzip_min_bytes=GZIP_MIN_BYTES, gzip_level=GZIP_LEVEL, cache_bytes=settings.answer_cache_bytes
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    app.add_middleware(
        SlowReaders,
        write_timeout=settings.write_timeout,
        min_rate=settings.min_read_rate,
        budget=settings.send_buffer_bytes,
    )
    app.add_middleware(RequestDeadline)  # the time limit counts from the request's arrival
    app.add_middleware(RequestLimit, max_requests=settings.max_requests)  # requests, not idle connections
    app.add_middleware(SecurityHeaders)  # its headers are on 413s too
    app.add_middleware(Language)  # added last = outermost: every text of the answer in the request's language
    return app


app = create_app()
