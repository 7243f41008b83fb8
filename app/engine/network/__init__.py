"""A small network trained with every optimizer (issue 19): data sets, the model, the training.

Engine layer: plain NumPy, imports only `app.engine` and `app.settings`.
"""

from __future__ import annotations

from .data import DATA_SETS, Data, DataConfig, DataSetSpec, make_data
from .model import ACTIVATIONS, INITS, Layer, ModelConfig, Network
from .train import NetworkProblem, NetworkRunResult, Training, answer_bytes, estimate, train

__all__ = [
    "ACTIVATIONS",
    "DATA_SETS",
    "INITS",
    "Data",
    "DataConfig",
    "DataSetSpec",
    "Layer",
    "ModelConfig",
    "Network",
    "NetworkProblem",
    "NetworkRunResult",
    "Training",
    "answer_bytes",
    "estimate",
    "make_data",
    "train",
]
