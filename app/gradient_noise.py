"""Gradient noise on dataset surfaces: the spread of mini-batch gradients at a point.

Per-sample gradients gᵢ at θ give the mean ḡ (the full-batch gradient) and the covariance
Σ = 1/m·Σᵢ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ. A mini-batch of B samples drawn without replacement (the engine
reshuffles each epoch) has mean ḡ and covariance Σ/B·(m − B)/(m − 1): Σ/B for B ≪ m, 0 for full
batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .engine.datasets import DatasetSurface
from .engine.surfaces import Surface
from .i18n import text


class NoGradientNoise(ValueError):
    pass


def per_sample_gradients(surface: DatasetSurface, w: float, b: float) -> np.ndarray:
    """(m, 2): ∂J/∂w, ∂J/∂b of each sample's own cost (the model's formula on one-sample batches)."""
    m = surface.model.data.m
    _, gw, gb = surface.model.batch(w, b, np.arange(m)[:, None])
    return np.stack([np.broadcast_to(gw, (m,)), np.broadcast_to(gb, (m,))], axis=1)


def gradient_noise(surface: Surface, point: tuple[float, float], batch_size: int) -> dict[str, Any]:
    if not isinstance(surface, DatasetSurface):
        raise NoGradientNoise(text("error.gradient_noise.analytic"))
    g = per_sample_gradients(surface, float(point[0]), float(point[1]))
    m = g.shape[0]
    bsz = min(int(batch_size), m)
    mean = g.mean(axis=0)
    d = g - mean
    cov = d.T @ d / m
    factor = (m - bsz) / (m - 1) if m > 1 else 0.0
    batch_cov = cov / bsz * factor
    lam, vec = np.linalg.eigh(batch_cov)
    lam = np.maximum(lam, 0.0)
    return {
        "point": [float(point[0]), float(point[1])],
        "samples": m,
        "batch_size": bsz,
        "mean": mean.tolist(),
        "covariance": cov.tolist(),
        "batch_covariance": batch_cov.tolist(),
        "axes": [  # the 1σ ellipse of the mini-batch gradient: half-lengths and unit directions
            {"length": float(np.sqrt(lam[k])), "direction": vec[:, k].tolist()} for k in range(2)
        ],
    }
