"""What only frameworks and users call in the network's Python API, CLI and export (beside
tools/vulture_whitelist.py, whose rule holds: each ``_.name`` counts as a use of that name; anything
else vulture reports is dead)."""

from __future__ import annotations

from types import SimpleNamespace

_ = SimpleNamespace()

__used__ = (
    _.media_type,  # the export's response class: FastAPI reads it (text/x-python)
    _.with_plane,  # optiviz.NetworkResult: the same runs on another plane, what notebooks call
)
