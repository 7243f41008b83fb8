"""Where the app finds its static/ and templates/ directories."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _holds_both(d: Path) -> bool:
    return (d / "static").is_dir() and (d / "templates").is_dir()


def _root() -> Path:
    """The directory holding static/ and templates/: $OPTIVIZ_ROOT if set; else the package's own
    directory (an installed wheel ships them inside the package, see setup.py); else the source
    tree, next to app/. Never the working directory: the app serves the same files from any folder."""
    env = os.environ.get("OPTIVIZ_ROOT")
    if env:
        if not _holds_both(Path(env)):
            raise RuntimeError(f"OPTIVIZ_ROOT={env}: no static/ and templates/ there")
        return Path(env)
    for candidate in (_HERE, _HERE.parent):
        if _holds_both(candidate):
            return candidate
    raise RuntimeError(
        f"static/ and templates/ not found in {_HERE} (an installed wheel) nor in {_HERE.parent} (the source tree): "
        "set OPTIVIZ_ROOT to the directory that holds them"
    )


ROOT = _root()
