"""What only frameworks and clients use in the networks' fair race (beside tools/vulture_whitelist.py,
whose rule holds: each ``_.name`` counts as a use of that name; anything else vulture reports is dead)."""

from __future__ import annotations

from types import SimpleNamespace

_ = SimpleNamespace()

__used__ = (
    # GET /api/v1/limits (LimitsPublic): the tuning's limits
    _.network_max_tune_updates,
    _.network_max_tune_lrs,
    # fields of NetworkTuneCurvePublic: FastAPI documents and pydantic serialises them
    _.epochs_to_tolerance,
)
