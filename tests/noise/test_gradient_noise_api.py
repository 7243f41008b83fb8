"""Gradient-noise covariance on dataset surfaces, checked against NumPy and against sampled batches."""

from __future__ import annotations

import numpy as np
import pytest

from app.registry import SURFACES

DATASETS = [s for s in SURFACES.values() if s.kind == "dataset"]


def _per_sample(surface, w, b):
    """Each sample's gradient, one sample at a time through the model's own batch formula."""
    out = []
    for i in range(surface.model.data.m):
        _, gw, gb = surface.model.batch(w, b, np.array([i]))
        out.append([float(gw), float(gb)])
    return np.array(out)


@pytest.mark.parametrize("surface", DATASETS, ids=[s.id for s in DATASETS])
def test_covariance_is_numpys(client, surface) -> None:
    w, b = surface.default_start
    for bsz in (1, 16, surface.model.data.m):
        out = client.post(
            "/api/v1/gradient_noise", json={"surface": surface.id, "point": [w, b], "batch_size": bsz}
        ).json()
        g = _per_sample(surface, w, b)
        np.testing.assert_allclose(out["mean"], g.mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(out["mean"], surface.grad(w, b), rtol=1e-9)  # the full-batch gradient
        cov = np.cov(g.T, ddof=0)
        np.testing.assert_allclose(out["covariance"], cov, rtol=1e-10, atol=1e-14)
        m = g.shape[0]
        np.testing.assert_allclose(out["batch_covariance"], cov / bsz * (m - bsz) / (m - 1), rtol=1e-10, atol=1e-14)
        c = np.array(out["batch_covariance"])
        for axis in out["axes"]:  # the axes are the ellipse of that covariance
            v = np.array(axis["direction"])
            np.testing.assert_allclose(c @ v, axis["length"] ** 2 * v, atol=1e-10 * max(1.0, np.abs(c).max()))


def test_sampled_batches_have_that_covariance(client) -> None:
    s = DATASETS[0]
    w, b = s.default_start
    out = client.post("/api/v1/gradient_noise", json={"surface": s.id, "point": [w, b], "batch_size": 32}).json()
    rng = np.random.default_rng(0)
    m = s.model.data.m
    grads = np.array([s.model.batch(w, b, rng.choice(m, 32, replace=False))[1:] for _ in range(4000)])
    np.testing.assert_allclose(
        np.cov(grads.T), out["batch_covariance"], rtol=0.1, atol=0.1 * np.abs(out["batch_covariance"]).max()
    )


def test_analytic_surface_is_422(client) -> None:
    r = client.post("/api/v1/gradient_noise", json={"surface": "rosenbrock", "point": [0, 0], "batch_size": 4})
    assert r.status_code == 422 and "dataset" in r.text
