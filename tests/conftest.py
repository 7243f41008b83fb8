"""Shared fixtures: an in-process client and an SSE parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import app


@pytest.fixture(scope="session")
def client() -> TestClient:
    return TestClient(app)


def networks_answer(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/networks's answer to ``body`` (which must be a 200), strictly decoded."""
    r = client.post("/api/v1/networks", json=body)
    assert r.status_code == 200, r.text[:500]
    out: dict[str, Any] = strict_loads(r.text)
    return out


def strict_loads(text: str | bytes) -> Any:
    """json.loads that refuses NaN/Infinity, as a browser's JSON.parse does."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of an SSE body (comments skipped, data lines joined)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((name, strict_loads("\n".join(data))))
    return events


SERIAL_DIRS = ("deploy",)  # load, deadlines, proxies: measured on a machine doing nothing else
# ... except the deploy tests that time nothing (a build, an install, a replayed image, config checks,
# schemathesis): they run beside the rest
UNTIMED = ("test_wheel.py", "test_image.py", "test_dockerfile.py", "test_manifests.py", "test_schemathesis.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests under tests/deploy are `serial` (see `make test`), but for the UNTIMED modules."""
    for item in items:
        if item.path.parent.name in SERIAL_DIRS and item.path.name not in UNTIMED:
            item.add_marker(pytest.mark.serial)
