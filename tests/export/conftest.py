"""The export tests' interpreter with torch and JAX (the scripts run there: tests/export/scripts.py)."""

from __future__ import annotations

import os

import pytest

from tests.export.scripts import torch_python


@pytest.fixture(scope="session")
def py() -> str:
    found = torch_python()
    if found is None:
        if os.environ.get("OPTIVIZ_REQUIRE_TORCH"):
            pytest.fail("no interpreter with torch: `make test` should have made .venv-torch")
        pytest.skip("no interpreter with torch (set OPTIVIZ_TORCH_PYTHON)")
    return found
