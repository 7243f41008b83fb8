"""A small network trained with every optimizer (issue 19): data sets, the model, the training.

Engine layer: plain NumPy, imports only `app.engine` and `app.settings`.
"""

from __future__ import annotations

from .data import DATA_SETS, Data, DataConfig, DataSetSpec, make_data
from .model import ACTIVATIONS, INITS, Layer, ModelConfig, Network
from .planes import PLANES, Plane, PlaneConfig, PlaneSpec, coordinates, landscape, make_plane
from .train import NetworkProblem, NetworkRunResult, Training, answer_bytes, estimate, train

__all__ = [
    "ACTIVATIONS",
    "DATA_SETS",
    "INITS",
    "PLANES",
    "Data",
    "DataConfig",
    "DataSetSpec",
    "Layer",
    "ModelConfig",
    "Network",
    "NetworkProblem",
    "NetworkRunResult",
    "Plane",
    "PlaneConfig",
    "PlaneSpec",
    "Training",
    "answer_bytes",
    "coordinates",
    "estimate",
    "landscape",
    "make_data",
    "make_plane",
    "train",
]
