"""The export tests' interpreter with torch and JAX (the scripts run there: tests/export/scripts.py)."""

from __future__ import annotations

import os
import subprocess

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


@pytest.fixture(scope="session")
def jax_py(py: str) -> str:
    """The interpreter with torch, when it has jax and optax too (the optax scripts run there)."""
    if subprocess.run([py, "-c", "import jax, optax"], capture_output=True).returncode != 0:
        if os.environ.get("OPTIVIZ_REQUIRE_TORCH"):
            pytest.fail("no jax/optax next to torch: `make test` should have installed them in .venv-torch")
        pytest.skip("no jax/optax next to torch")
    return py
