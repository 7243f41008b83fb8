"""The OpenAPI schema states every limit in JSON Schema's own keywords, which generated clients read."""

from __future__ import annotations

from typing import Any

import pytest

PYDANTIC_ONLY = {"ge", "le", "gt", "lt"}  # pydantic's names: not JSON Schema, ignored by clients


def _keywords(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict):
        found = [f"{path}/{k}" for k in node if k in PYDANTIC_ONLY]
        return found + [p for k, v in node.items() if k != "examples" for p in _keywords(v, f"{path}/{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _keywords(v, f"{path}/{i}")]
    return []


@pytest.fixture(scope="module")
def schemas(client) -> dict[str, Any]:
    out: dict[str, Any] = client.get("/openapi.json").json()["components"]["schemas"]
    return out


def test_no_limit_is_written_in_pydantic_s_own_words(schemas) -> None:
    assert _keywords(schemas) == []


def test_limits_are_json_schema_keywords(schemas) -> None:
    run = schemas["RunRequest"]["properties"]
    for name in ("clip_norm", "clip_value"):  # `0` is refused (422): a client must see it in the schema
        number = next(s for s in run[name]["anyOf"] if s.get("type") == "number")
        assert number["exclusiveMinimum"] == 0 and number["maximum"] == 1e12
    start = next(s for s in schemas["TrajectoryRequest"]["properties"]["start"]["anyOf"] if s.get("type") == "array")
    assert all(c["minimum"] == -1e6 and c["maximum"] == 1e6 for c in start["prefixItems"])
    point = schemas["CurvatureRequest"]["properties"]["point"]["prefixItems"]
    assert all(c["minimum"] == -1e6 and c["maximum"] == 1e6 for c in point)
