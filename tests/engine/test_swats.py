"""SWATS (Keskar & Socher 2017, Algorithm 1) as a chain's second link: the switch step k and the
SGD rate Λ equal independent references' — torch itself (tests/golden/torch_swats_golden.json,
tools/make_golden_swats.py: torch.optim.Adam's steps fed to the paper's criterion, then a new
torch.optim.SGD) and torch's Adam written out in NumPy here with the paper's SGD phase — the run
after k is the concrete chain, and a run whose criterion never fires stays Adam."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import TrajectoryStream, build_problem, trajectories
from app.engine import cost

GOLDEN = json.loads((Path(__file__).parent.parent / "golden/torch_swats_golden.json").read_text())["cases"]


def _himmelblau(x: float, y: float) -> np.ndarray:
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return np.array([4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b])


def _camel(x: float, y: float) -> np.ndarray:
    return np.array([8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3])


def _rosenbrock(x: float, y: float) -> np.ndarray:
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def reference(grad, start, steps: int, lr: float, tol: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
    """torch.optim.Adam's update (its order of operations) in NumPy, with the paper's criterion
    (Algorithm 1, lines 14-21) on each step p_k = θ_k − θ_{k−1}; after the switch, the paper's SGD
    phase v = β₁v + g, θ −= (1 − β₁)Λv. Returns (k, Λ, the points)."""
    theta = np.array(start, dtype=float)
    m, v, lam = np.zeros(2), np.zeros(2), 0.0
    points, k_switch, rate, vel = [theta.copy()], None, None, np.zeros(2)
    for k in range(1, steps + 1):
        g = grad(*theta)
        if k_switch is not None:  # phase = SGD
            vel = b1 * vel + g
            theta = theta - (1.0 - b1) * rate * vel
            points.append(theta.copy())
            continue
        m = m + (1.0 - b1) * (g - m)
        v = v * b2 + (1.0 - b2) * g * g
        denom = np.sqrt(v) / np.sqrt(1.0 - b2**k) + eps
        new = theta - (lr / (1.0 - b1**k)) * (m / denom)
        p, theta = new - theta, new
        points.append(theta.copy())
        if p @ g != 0.0:
            gamma = (p @ p) / -(p @ g)
            lam = b2 * lam + (1.0 - b2) * gamma
            if k > 1 and abs(lam / (1.0 - b2**k) - gamma) < tol and k < steps:
                k_switch, rate = k, lam / (1.0 - b2**k)
    return k_switch, rate, np.array(points)


def _request(surface: str, start, steps: int, lr: float, tol: float | None) -> dict:
    link = {"rule": "swats", "optimizer": "sgd", **({"tolerance": tol} if tol else {})}
    return {
        "surface": surface,
        "start": list(start),
        "steps": steps,
        "runs": [{"optimizers": [{"optimizer": "adam", "params": {"lr": lr}}, link]}],
    }


def _run(request: dict) -> dict:
    return trajectories(build_problem(TrajectoryRequest.model_validate(request)))["runs"][0]


# (surface, its gradient written out, start, steps, Adam's lr, ε (None: the paper's 1e-9), the k found)
FIRES = [
    ("himmelblau", _himmelblau, (-0.3, -0.9), 1100, 0.005, 1e-7, 1015),
    ("six_hump_camel", _camel, (-1.6, -0.9), 1000, 1e-4, None, 893),
    ("rosenbrock", _rosenbrock, (-1.2, 1.0), 50, 1e-4, None, 2),  # a small lr: γ₁ ≈ γ₂, so k = 2 at once
]


@pytest.mark.parametrize(("surface", "grad", "start", "steps", "lr", "tol", "k"), FIRES, ids=[c[0] for c in FIRES])
def test_swats_switches_where_the_reference_does(surface, grad, start, steps, lr, tol, k) -> None:
    run = _run(_request(surface, start, steps, lr, tol))
    want_k, want_rate, points = reference(grad, start, steps, lr, tol or 1e-9)
    assert want_k is not None and (k is None or want_k == k)
    assert run["swats"]["step"] == want_k and run["switches"] == [want_k]
    assert run["swats"]["lr"] == pytest.approx(want_rate, rel=1e-9, abs=0)
    assert run["optimizers"][1]["params"]["momentum"] == 0.9  # the Adam link's β₁
    got = np.column_stack([run["x"], run["y"]])
    np.testing.assert_allclose(got, points, rtol=1e-9, atol=1e-12)  # Adam, then the paper's SGD phase
    assert run["lr"][want_k] == pytest.approx((1 - 0.9) * want_rate, rel=1e-12)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_swats_matches_torch(case: dict) -> None:
    run = _run(case["request"])
    want = case["expected"]
    assert run["swats"]["step"] == want["swats"]["step"]
    assert run["switches"] == ([want["swats"]["step"]] if want["swats"]["step"] else [])
    if want["swats"]["lr"] is None:
        assert run["swats"]["lr"] is None
    else:
        assert run["swats"]["lr"] == pytest.approx(want["swats"]["lr"], rel=1e-9, abs=0)
    for key in ("x", "y"):
        np.testing.assert_allclose(run[key], want[key], rtol=1e-9, atol=1e-12, err_msg=key)


def test_golden_cases_fire_early_late_and_never() -> None:
    steps = [c["expected"]["swats"]["step"] for c in GOLDEN]
    assert None in steps and 2 in steps and any(s and s > 500 for s in steps)
    firsts = [c["request"]["runs"][0]["optimizers"][0]["optimizer"] for c in GOLDEN]
    assert any(o == "adamw" and s for o, s in zip(firsts, steps, strict=True))


@pytest.mark.parametrize(
    ("tol", "extra", "k"),
    [
        (1e-7, {}, 1015),
        (1e-5, {"noise_std": 0.1}, 800),  # the noise draws of the whole run's clock
        (1e-3, {"schedule": {"name": "cosine", "params": {"t_max": 1100}}}, 2),  # the whole run's schedule
    ],
    ids=["plain", "noise", "cosine"],
)
def test_after_k_the_run_is_the_concrete_chain(tol: float, extra: dict, k: int) -> None:
    request = {**_request("himmelblau", (-0.3, -0.9), 1100, 0.005, tol), "seed": 3}
    request["runs"][0].update(extra)
    run = _run(request)
    assert run["swats"]["step"] == k
    rate = run["swats"]["lr"]
    sgd = {"milestone": k, "optimizer": "sgd", "params": {"lr": (1 - 0.9) * rate, "momentum": 0.9, "dampening": 0}}
    request["runs"][0]["optimizers"][1] = sgd
    chain = _run(request)
    assert chain["switches"] == [k] and "swats" not in chain
    for key in ("x", "y", "loss", "lr", "grad_norm"):
        assert chain[key] == run[key], key


def test_where_it_never_fires_the_run_stays_adam() -> None:
    """Round bowl, lr 0.1: Adam's steps keep changing their projected rate; no switch in 500."""
    request = _request("round_bowl", (-4.0, 3.0), 500, 0.1, None)
    run = _run(request)
    assert run["swats"] == {"step": None, "lr": None} and run["switches"] == []
    adam = _run({**request, "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}]})
    assert run["x"] == adam["x"] and run["y"] == adam["y"]
    k, _, _ = reference(lambda x, y: np.array([x, y]), (-4.0, 3.0), 500, 0.1, 1e-9)
    assert k is None


def test_stream_slices_join_to_the_answer_and_done_carries_swats() -> None:
    request = _request("himmelblau", (-0.3, -0.9), 1100, 0.005, 1e-7)
    whole = _run(request)
    stream = TrajectoryStream(build_problem(TrajectoryRequest.model_validate(request)))
    xs: list[float] = []
    while not stream.finished:
        for ev in stream.next_events():
            xs.extend(ev["x"])
    assert xs == whole["x"]
    done = stream.done_event()["runs"][0]
    assert done["swats"] == whole["swats"] and done["switches"] == whole["switches"]


def test_the_cost_counts_the_adam_run_and_the_chain() -> None:
    request = _request("himmelblau", (-0.3, -0.9), 1100, 0.005, 1e-7)
    swats = cost.trajectories(build_problem(TrajectoryRequest.model_validate(request)))
    request["runs"] = [{"optimizer": "adam", "params": {"lr": 0.005}}]
    plain = build_problem(TrajectoryRequest.model_validate(request))
    adam = cost.trajectories(plain)
    work = adam - cost.ENCODE_BYTE * cost.answer_bytes(plain)  # the same answer: only the work differs
    assert work > 0 and swats - adam == pytest.approx(2 * work)  # its Adam link once more, its state recorded
