"""The Dockerfile: hadolint clean, slim base, numeric non-root user, healthcheck, exec-form CMD."""

import subprocess
import sys
from pathlib import Path

from tests.deploy.dockerfile import ROOT, parse


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    r = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_image_shape() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    img = parse()
    assert img.user.isdigit() and int(img.user) > 0
    assert "/healthz" in img.healthcheck and " CMD [" in f" {img.healthcheck}"  # exec form, no curl in slim
    assert '"python"' in img.healthcheck
    assert img.cmd and img.cmd[0] in ("optiviz", "uvicorn")
    assert "OPTIVIZ_WORKERS" in img.env
    sources = {s for s, _ in img.copies}
    assert {"app", "optiviz", "static", "templates", "pyproject.toml", "setup.py"} <= sources
    # the package is installed, its kernels compiled at build time; static/ and templates/ come with it
    assert any(r.startswith("pip install") for r in img.runs)
    assert any(r.startswith("optiviz warmup") for r in img.runs)
    assert "OPTIVIZ_ROOT" not in img.env
    assert (ROOT / ".dockerignore").exists()
