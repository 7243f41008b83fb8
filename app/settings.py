"""Settings from the environment (prefix ``OPTIVIZ_``), with pydantic-settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# characters in a typed formula: the parser's limit (app.engine.expression.MAX_LENGTH is this
# number), which OPTIVIZ_MAX_EXPRESSION_LENGTH may lower, never raise
FORMULA_LENGTH = 300


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPTIVIZ_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    log_level: str = "info"
    root_path: str = ""  # when served under a prefix behind a proxy, e.g. "/optiviz"

    max_runs: int = Field(16, ge=1, le=256)
    max_steps: int = Field(20_000, ge=1, le=1_000_000)
    max_grid: int = Field(200, ge=2, le=1000)
    max_expression_length: int = Field(FORMULA_LENGTH, ge=10, le=FORMULA_LENGTH)
    max_body_bytes: int = Field(1_000_000, ge=1_000)
    max_concurrent: int = Field(2, ge=1, le=64)  # heavy computations running at once
    request_timeout: float = Field(60.0, gt=0)  # seconds per request, from its arrival (queueing included)
    # work estimated at more than this many times the time left is refused at once (the estimates'
    # constants were measured on one core of a laptop: lower it on slower machines, raise it on faster)
    admit_factor: float = Field(2.0, gt=0, le=1000)
    # a client that makes the server wait reads at least min_read_rate bytes/s after write_timeout
    # seconds, or its answer is dropped (app/api/capacity.py)
    write_timeout: float = Field(15.0, gt=0)
    min_read_rate: int = Field(16_384, ge=1)
    send_buffer_bytes: int = Field(64_000_000, ge=0)  # bytes waiting answers hold per worker (one answer alone: always)
    header_timeout: float = Field(10.0, gt=0)  # seconds for a request's line and headers to arrive
    body_timeout: float = Field(30.0, gt=0)  # seconds for a request's body to arrive (10 s at most between parts)
    keep_alive: float = Field(5.0, gt=0)  # seconds an idle connection stays open
    max_requests: int = Field(256, ge=1)  # requests in progress per worker, beyond that 503 (the app's own limit)
    max_connections: int = Field(1024, ge=1)  # open connections per worker (optiviz serve): the longest idle closed
    engine_threads: int = Field(0, ge=0, le=256)  # threads stepping one computation's rows; 0 = the cores usable
    # bytes of JSON answers held at once per worker (estimated before computing, `cost.answer_bytes`):
    # a larger answer is refused, others wait for room (until their deadline)
    max_answer_bytes: int = Field(64_000_000, ge=100_000)
    answer_cache_bytes: int = Field(16_000_000, ge=0)  # small answers remembered (app/api/fast.py), 0 = off
    # train the default network lesson into each worker's cache at start-up (app/api/lifecycle.py),
    # in the background and bounded; off: the first visitor of the networks page waits for it
    warm_up: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
