"""Where the app finds its static/ and templates/ directories."""

from __future__ import annotations

import os
from pathlib import Path


def _root() -> Path:
    """Where static/ and templates/ are: OPTIVIZ_ROOT, the source tree, or the working directory."""
    for candidate in (os.environ.get("OPTIVIZ_ROOT"), Path(__file__).resolve().parent.parent, Path.cwd()):
        if candidate and (Path(candidate) / "static").is_dir() and (Path(candidate) / "templates").is_dir():
            return Path(candidate)
    raise RuntimeError("static/ and templates/ not found: set OPTIVIZ_ROOT to the directory that holds them")


ROOT = _root()
