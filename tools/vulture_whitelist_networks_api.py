"""What only frameworks and clients use in the network API (beside tools/vulture_whitelist.py, whose
rule holds: each ``_.name`` counts as a use of that name; anything else vulture reports is dead)."""

from __future__ import annotations

from types import SimpleNamespace

_ = SimpleNamespace()

__used__ = (
    # GET /api/v1/limits (LimitsPublic): the network limits
    _.network_min_samples,
    _.network_max_samples,
    _.network_max_noise,
    _.network_max_test_fraction,
    _.network_max_width,
    _.network_max_depth,
    _.network_max_parameters,
    _.network_max_epochs,
    _.network_max_updates,
    _.network_max_grid,
    _.network_max_points,
    # fields of the network …Public models: FastAPI documents and pydantic serialises them
    _.off_plane,
    _.fidelity,
    _.data_sets,
    _.activations,
    _.inits,
    _.planes,
    _.example,
)
