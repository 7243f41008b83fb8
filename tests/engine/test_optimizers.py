"""Each optimizer's first updates, computed by hand from the contract's formulas."""

import inspect
import math
import sys

import numpy as np
import pytest

from app.engine.backend import ARRAY, SCALAR
from app.registry import OPTIMIZERS

G = (3.0, -2.0, 0.5)  # gradients of three successive updates
THETA0, LR = 1.0, 0.1


def run(opt_id: str, params: dict, xp=SCALAR, theta=THETA0, grads=G, lr=LR) -> list:
    spec = OPTIMIZERS[opt_id]
    resolved = spec.resolve(params, "optimizer")
    opt = spec.build(xp, resolved)
    state = opt.init(theta)
    out = []
    for g in grads:
        theta, state = opt.update(g, state, theta, lr)
        out.append(theta)
    return out


def hand(opt_id: str, p: dict) -> list[float]:
    """The update rules of the API contract, written out with plain floats."""
    th, out = THETA0, []
    v = m = s = d = vmax = 0.0
    mu_product, prev, size, eta, ax, mu = 1.0, 0.0, LR, LR, 0.0, 1.0
    for t, g in enumerate(G, start=1):
        if opt_id == "sgd":
            b, damp, wd = p.get("momentum", 0.9), p.get("dampening", 0.0), p.get("weight_decay", 0.0)
            g = g + wd * th
            v = g if t == 1 or b == 0 else b * v + (1 - damp) * g  # β = 0: no buffer (plain SGD)
            th = th - LR * ((g + b * v) if p.get("nesterov") else v)
        elif opt_id == "nadam":
            b1, b2, eps, psi = (
                p.get("beta1", 0.9),
                p.get("beta2", 0.999),
                p.get("eps", 1e-8),
                p.get("momentum_decay", 0.004),
            )
            wd = p.get("weight_decay", 0.0)
            if p.get("decoupled_weight_decay"):
                th = th * (1 - LR * wd)
            else:
                g = g + wd * th
            mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            mu_product *= mu_t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            denom = math.sqrt(v / (1 - b2**t)) + eps
            th = (
                th
                - LR * (1 - mu_t) / (1 - mu_product) * g / denom
                - LR * mu_next / (1 - mu_product * mu_next) * m / denom
            )
        elif opt_id == "radam":
            b1, b2, eps = p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**t)
            rho_inf = 2 / (1 - b2) - 1
            rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
            if rho > 5:
                r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                th = th - LR * m_hat * r * math.sqrt(1 - b2**t) / (math.sqrt(v) + eps)
            else:
                th = th - LR * m_hat
        elif opt_id == "adamax":
            b1, b2, eps = p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8)
            m = b1 * m + (1 - b1) * g
            s = max(b2 * s, abs(g) + eps)
            th = th - LR / (1 - b1**t) * m / s
        elif opt_id == "rprop":
            em, ep = p.get("etaminus", 0.5), p.get("etaplus", 1.2)
            lo, hi = p.get("step_size_min", 1e-6), p.get("step_size_max", 50.0)
            flip = g * prev < 0
            size = min(max(size * (ep if g * prev > 0 else em if flip else 1.0), lo), hi)
            g = 0.0 if flip else g
            th = th - math.copysign(size, g) if g else th
            prev = g
        elif opt_id == "lion":
            b1, b2, wd = p.get("beta1", 0.9), p.get("beta2", 0.99), p.get("weight_decay", 1e-3)
            c = b1 * m + (1 - b1) * g
            th = th - LR * (math.copysign(1.0, c) + wd * th)
            m = b2 * m + (1 - b2) * g
        elif opt_id == "asgd":
            lam, a, t0 = p.get("lambd", 1e-4), p.get("alpha", 0.75), p.get("t0", 1e6)
            th = th * (1 - lam * eta) - eta * g
            ax = th if mu == 1 else ax + mu * (th - ax)
            eta = LR / (1 + lam * LR * t) ** a
            mu = 1 / max(1, t - t0)
        elif opt_id == "gd" or opt_id == "polyak_sgd":  # Polyak: lr is its effective rate here
            th = th - LR * g
        elif opt_id == "schedule_free_adamw":  # the paper's form: x kept, y = β₁x + (1−β₁)z
            b1, b2, eps = p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8)
            wd, power = p.get("weight_decay", 0.0), p.get("weight_lr_power", 2.0)
            if t == 1:
                z = ax = THETA0
                wsum = 0.0
            s = b2 * s + (1 - b2) * g * g
            z = z - LR * (g / (math.sqrt(s / (1 - b2**t)) + eps) + wd * th)
            wsum += LR**power
            c = LR**power / wsum
            ax = (1 - c) * ax + c * z
            th = b1 * ax + (1 - b1) * z
        elif opt_id == "momentum" and p.get("variant", "ewa") == "ewa":
            b = p.get("beta", 0.9)
            v = b * v + (1 - b) * g
            step = v / (1 - b**t) if p.get("bias_correction") else v
            th = th - LR * step
        elif opt_id == "momentum":
            b = p["beta"]
            v = b * v + g
            th = th - LR * v
        elif opt_id == "nesterov":
            b = p.get("beta", 0.9)
            v = b * v + g
            th = th - LR * (g + b * v)
        elif opt_id == "adagrad":
            s = s + g * g if t > 1 else p.get("initial_accumulator", 0.0) + g * g
            th = th - LR * g / (math.sqrt(s) + p.get("eps", 1e-10))
        elif opt_id == "rmsprop":
            b = p.get("beta", 0.9)
            s = b * s + (1 - b) * g * g
            th = th - LR * g / (math.sqrt(s) + p.get("eps", 1e-8))
        elif opt_id == "adadelta":
            rho, eps = p.get("rho", 0.9), p.get("eps", 1e-6)
            s = rho * s + (1 - rho) * g * g
            delta = math.sqrt(d + eps) / math.sqrt(s + eps) * g
            d = rho * d + (1 - rho) * delta * delta
            th = th - LR * delta
        elif opt_id in ("adam", "adamw"):
            b1, b2, eps = p.get("beta1", 0.9), p.get("beta2", 0.999), p.get("eps", 1e-8)
            if opt_id == "adamw":
                th = th * (1 - LR * p.get("weight_decay", 0.01))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            vmax = max(vmax, v)
            second = vmax if p.get("amsgrad") else v
            if p.get("bias_correction", True):
                th = th - LR * (m / (1 - b1**t)) / (math.sqrt(second / (1 - b2**t)) + eps)
            else:
                th = th - LR * m / (math.sqrt(second) + eps)
        out.append(th)
    return out


CASES = [
    ("gd", {}),
    ("momentum", {}),
    ("momentum", {"variant": "ewa", "bias_correction": True, "beta": 0.8}),
    ("momentum", {"variant": "classic", "beta": 0.9}),
    ("nesterov", {"beta": 0.7}),
    ("adagrad", {"initial_accumulator": 0.5, "eps": 1e-6}),
    ("rmsprop", {"beta": 0.8}),
    ("adadelta", {"rho": 0.95, "eps": 1e-4}),
    ("adam", {}),
    ("adam", {"bias_correction": False}),
    ("adam", {"amsgrad": True, "beta2": 0.5}),
    ("adamw", {"weight_decay": 0.5}),
    ("sgd", {}),
    ("sgd", {"momentum": 0.8, "dampening": 0.5, "weight_decay": 0.1}),
    ("sgd", {"momentum": 0.7, "nesterov": True}),
    ("sgd", {"momentum": 0.0, "dampening": 0.9}),
    ("nadam", {}),
    ("nadam", {"weight_decay": 0.2, "momentum_decay": 0.1, "beta1": 0.8}),
    ("nadam", {"weight_decay": 0.2, "decoupled_weight_decay": True}),
    ("radam", {}),
    ("radam", {"beta2": 0.5}),  # ρ∞ = 3: never rectified (momentum SGD throughout)
    ("radam", {"beta2": 0.1, "beta1": 0.5}),
    ("adamax", {}),
    ("adamax", {"beta1": 0.3, "beta2": 0.5, "eps": 0.1}),
    ("rprop", {}),
    ("rprop", {"etaminus": 0.2, "etaplus": 2.0, "step_size_max": 0.15}),
    ("lion", {}),
    ("lion", {"beta1": 0.5, "beta2": 0.3, "weight_decay": 0.0}),
    ("asgd", {}),
    ("asgd", {"lambd": 0.5, "alpha": 1.0, "t0": 1.0}),
    ("schedule_free_adamw", {}),
    ("schedule_free_adamw", {"beta1": 0.5, "beta2": 0.9, "eps": 0.01, "weight_decay": 0.3, "weight_lr_power": 1.0}),
    ("polyak_sgd", {}),
]


def test_every_optimizer_is_checked() -> None:
    # L-BFGS and damped Newton are not element-wise: checked by hand in tests/engine/test_closure.py
    assert {c[0] for c in CASES} == {o for o, spec in OPTIMIZERS.items() if spec.driver == "loop"}


@pytest.mark.parametrize(("opt_id", "params"), CASES, ids=[f"{o}-{p}" for o, p in CASES])
def test_first_updates_by_hand(opt_id: str, params: dict) -> None:
    expected = hand(opt_id, params)
    np.testing.assert_allclose(run(opt_id, params), expected, rtol=1e-12)
    # the same formula on NumPy rows
    rows = run(opt_id, params, xp=ARRAY, theta=np.full(3, THETA0), grads=[np.full(3, g) for g in G])
    np.testing.assert_allclose([r[1] for r in rows], expected, rtol=1e-12)


def test_ewa_and_classic_momentum_differ_by_one_minus_beta() -> None:
    """Steady state: classic steps are 1/(1−β) times the ewa steps (α versus α/(1−β))."""
    grads = [1.0] * 200
    ewa = run("momentum", {"variant": "ewa", "beta": 0.9}, grads=grads, lr=0.01)
    classic = run("momentum", {"variant": "classic", "beta": 0.9}, grads=grads, lr=0.01)
    step_ewa, step_classic = ewa[-2] - ewa[-1], classic[-2] - classic[-1]
    assert step_classic / step_ewa == pytest.approx(10.0, rel=1e-6)


def test_bias_correction_makes_first_adam_step_lr_sized() -> None:
    corrected = run("adam", {}, grads=[0.3])[0]
    raw = run("adam", {"bias_correction": False}, grads=[0.3])[0]
    assert THETA0 - corrected == pytest.approx(LR, rel=1e-6)  # m̂/√v̂ = sign(g)
    assert THETA0 - raw == pytest.approx(LR * 0.1 * 0.3 / (math.sqrt(0.001) * 0.3), rel=1e-5)  # ≈ lr·0.1/√0.001


def _first_float_hyper(opt_id: str) -> str | None:
    names = [p.name for p in OPTIMIZERS[opt_id].params if p.kind == "float" and p.name != "lr"]
    return names[0] if names else None


@pytest.mark.parametrize("opt_id", [o for o in OPTIMIZERS if _first_float_hyper(o) and OPTIMIZERS[o].driver == "loop"])
def test_per_row_hyperparameters_broadcast(opt_id: str) -> None:
    spec = OPTIMIZERS[opt_id]
    name = _first_float_hyper(opt_id)
    p = spec.spec(name)
    values = np.array([p.default, (p.default + (p.max if p.max is not None else 1.0)) / 2 * 0.99])
    opt = spec.build(ARRAY, {**spec.resolve({}, "o"), name: values})
    theta = np.array([1.0, 1.0])
    state = opt.init(theta)
    for g in G:
        theta, state = opt.update(np.full(2, g), state, theta, LR)
    for i, val in enumerate(values):
        assert theta[i] == pytest.approx(run(opt_id, {name: float(val)})[-1], rel=1e-12)


@pytest.mark.parametrize("opt_id", list(OPTIMIZERS))
def test_catalogue_params_match_the_factory(opt_id: str) -> None:
    spec = OPTIMIZERS[opt_id]
    factory_args = set(inspect.signature(spec.factory).parameters) - {"xp"}
    catalogue = {p.name for p in spec.params} - {"lr"}
    assert catalogue <= factory_args
    assert spec.spec("lr") is not None
    # the rule and where torch, optax and the course differ: the docstring of the optimizer's module
    module = sys.modules[spec.factory.__module__]
    assert module.__name__.startswith("app.engine.optimizers.") and module.__doc__ and spec.convention


def test_state_is_immutable() -> None:
    opt = OPTIMIZERS["adam"].build(SCALAR, OPTIMIZERS["adam"].resolve({}, "o"))
    s0 = opt.init(1.0)
    _, s1 = opt.update(0.5, s0, 1.0, 0.1)
    assert s0.t == 0 and s1.t == 1 and s0.m == 0.0
    with pytest.raises(AttributeError):
        s1.m = 3.0  # type: ignore[misc]


def test_resolve_names_the_bad_parameter() -> None:
    with pytest.raises(ValueError, match="beta1"):
        OPTIMIZERS["adam"].resolve({"beta1": 1.0}, "optimizer")
    with pytest.raises(ValueError, match="unknown optimizer parameter 'lrr'"):
        OPTIMIZERS["adam"].resolve({"lrr": 0.1}, "optimizer")
    with pytest.raises(ValueError, match="one of 'ewa', 'classic'"):
        OPTIMIZERS["momentum"].resolve({"variant": "heavy"}, "optimizer")


def test_colours_are_distinct_and_readable_on_white() -> None:
    """One colour per optimizer, none repeated, none lighter than the lightest of the first nine
    (Okabe–Ito orange and sky blue, contrast ≈ 2.2:1 against white; the later ones are ≥ 4:1)."""

    def luminance(hex_colour: str) -> float:
        def channel(c: int) -> float:
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    colours = [o.color.lower() for o in OPTIMIZERS.values()]
    assert len(set(colours)) == len(colours)
    for o in OPTIMIZERS.values():
        assert 1.05 / (luminance(o.color) + 0.05) >= 2.2, o.id


def test_colours_are_told_apart_in_lab() -> None:
    """Any two optimizers' colours differ by ΔE*ab ≥ 20 (CIE 1976, D65): a dark violet SGD beside a
    violet Newton (ΔE 12.7) read as one colour in a legend."""
    import itertools
    import math

    def lab(hex_colour: str) -> tuple[float, float, float]:
        def channel(c: int) -> float:
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

        def f(t: float) -> float:
            return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    for a, b in itertools.combinations(OPTIMIZERS.values(), 2):
        assert math.dist(lab(a.color), lab(b.color)) >= 20, (a.id, a.color, b.id, b.color)
