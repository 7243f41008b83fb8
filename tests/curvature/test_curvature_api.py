"""Curvature: the exact Hessian against finite differences of the exact gradient; quadratic rates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.api.schemas import CustomSurfaceRequest
from app.api.service import resolve_surface
from app.engine.backend import SCALAR
from app.registry import SURFACES

ANALYTIC = [s for s in SURFACES.values() if s.kind == "analytic"]
CUSTOM = {
    "expression": "sin(x)*y^3 + exp(0.3*x*y) - sqrt(1 + x^2 + y^2) + atan(x - y)",
    "x_range": [-2, 2],
    "y_range": [-2, 2],
}


def _fd_hessian(surface, x, y, h=1e-5):
    gxp, gyp = surface.grad(x + h, y, SCALAR)
    gxm, gym = surface.grad(x - h, y, SCALAR)
    gxq, gyq = surface.grad(x, y + h, SCALAR)
    gxr, gyr = surface.grad(x, y - h, SCALAR)
    return np.array([[(gxp - gxm) / (2 * h), (gxq - gxr) / (2 * h)], [(gyp - gym) / (2 * h), (gyq - gyr) / (2 * h)]])


@pytest.mark.parametrize("surface", [*ANALYTIC, "custom"], ids=[*(s.id for s in ANALYTIC), "custom"])
def test_hessian_matches_finite_differences(client, surface) -> None:
    s = resolve_surface(CustomSurfaceRequest(**CUSTOM)) if surface == "custom" else surface
    body_surface = CUSTOM if surface == "custom" else s.id
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = float(rng.uniform(s.x_range[0], s.x_range[1]) * 0.8)
        y = float(rng.uniform(s.y_range[0], s.y_range[1]) * 0.8)
        r = client.post("/api/v1/curvature", json={"surface": body_surface, "point": [x, y]})
        assert r.status_code == 200, r.text
        out = r.json()
        h = np.array(out["hessian"])
        fd = _fd_hessian(s, x, y)
        np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-5 * max(1.0, float(np.max(np.abs(fd)))))
        lam = np.array(out["eigenvalues"])
        vec = np.array(out["eigenvectors"])
        for k in range(2):  # H v = λ v, unit v
            np.testing.assert_allclose(h @ vec[k], lam[k] * vec[k], atol=1e-9 * max(1.0, float(np.max(np.abs(h)))))
            assert np.linalg.norm(vec[k]) == pytest.approx(1.0)
        if lam[1] > 0:
            assert out["gd_threshold"] == pytest.approx(2.0 / lam[1])


def test_elongated_bowl_rates(client) -> None:
    out = client.post("/api/v1/curvature", json={"surface": "elongated_bowl", "point": [-9, 3]}).json()
    assert out["quadratic"] is True
    assert out["eigenvalues"] == pytest.approx([0.2, 4.0])
    assert out["gd_threshold"] == pytest.approx(0.5)
    assert out["condition_number"] == pytest.approx(20.0)
    assert out["gd_optimal_lr"] == pytest.approx(2 / 4.2)
    k = math.sqrt(20.0)
    assert out["heavy_ball"]["lr"] == pytest.approx(4 / (2 + math.sqrt(0.2)) ** 2)
    assert out["heavy_ball"]["beta"] == pytest.approx(((k - 1) / (k + 1)) ** 2)


def test_gd_threshold_is_where_gd_diverges(client) -> None:
    """On the bowl, GD just below 2/λmax converges and just above it diverges."""
    thr = client.post("/api/v1/curvature", json={"surface": "elongated_bowl", "point": [0, 0]}).json()["gd_threshold"]
    runs = [{"optimizer": "gd", "params": {"lr": thr * 0.98}}, {"optimizer": "gd", "params": {"lr": thr * 1.02}}]
    out = client.post("/api/v1/trajectories", json={"surface": "elongated_bowl", "steps": 2000, "runs": runs}).json()[
        "runs"
    ]
    assert abs(out[0]["y"][-1]) < 1e-3 and out[1]["status"] == "diverged"


def test_non_quadratic_has_no_rates_and_bad_points_are_422(client) -> None:
    out = client.post("/api/v1/curvature", json={"surface": "rosenbrock", "point": [-1.2, 1]}).json()
    assert out["quadratic"] is False and out["heavy_ball"] is None and out["condition_number"] is None
    dataset = next(s.id for s in SURFACES.values() if s.kind == "dataset")
    assert client.post("/api/v1/curvature", json={"surface": dataset, "point": [0, 0]}).status_code == 422
    bad = client.post("/api/v1/curvature", json={"surface": {"expression": "log(x) + y^2"}, "point": [-1, 0]})
    assert bad.status_code == 422 and "not finite" in bad.text


def _formula(expression: str) -> dict:
    return {"expression": expression, "x_range": [-3, 3], "y_range": [-3, 3]}


def test_abs_has_a_hessian_off_its_kink_and_a_422_naming_the_kink_on_it(client) -> None:
    from app.i18n import catalogue

    r = client.post("/api/v1/curvature", json={"surface": _formula("abs(x)+y^2"), "point": [1, 1]})
    assert r.status_code == 200, r.text
    assert r.json()["hessian"] == [[0.0, 0.0], [0.0, 2.0]]  # abs'' = 0 off the kink
    r = client.post("/api/v1/curvature", json={"surface": _formula("abs(abs(x)-1)+y^2"), "point": [-2, 0.5]})
    assert r.status_code == 200 and r.json()["hessian"] == [[0.0, 0.0], [0.0, 2.0]]
    for point, kink in (([0, 1], "abs(x)"), ([1, 1], "abs(abs(x) - 1)"), ([-1, 0], "abs(abs(x) - 1)")):
        r = client.post("/api/v1/curvature", json={"surface": _formula("abs(abs(x)-1)+y^2"), "point": point})
        assert r.status_code == 422, r.text
        err = r.json()["detail"][0]
        assert err["loc"] == ["body", "point"] and f"{kink} has a kink" in err["msg"], err
    assert {"en", "zh"} <= set(catalogue()["studio.curv.kink"])
