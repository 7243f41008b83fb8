"""The step inspector: one update of one run, each line of its rule with the numbers filled in.

The numbers come from replaying the run's update rule (the plain-Python factories of
`app.engine.optimizers`, the same formulas the compiled loop runs) on the gradients the run used
(``include_state``'s gx, gy: noise and mini-batches included) and the lrs of its schedule. So
g, the moment, the effective per-axis lr and the step equal what the trajectory answer reports.

The lines of each rule are written once, in ``RULE_LINES`` below, keyed by the registry's ids and
in each method's own notation. An optimizer without an entry (e.g. newly registered) still gets
g, lr and the step, with ``known: false`` and a note saying there is no inspector for it yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine.backend import ARRAY
from app.engine.feedback import momentum_name
from app.engine.runner import Problem

Pair = tuple[float, float]
# a rule's lines: (symbol, formula, value (x, y) or a scalar)
Line = tuple[str, str, Any]
LinesFn = Callable[[dict[str, Any]], list[Line]]


def _pair(a: Any) -> Pair:
    a = np.asarray(a, dtype=float) * np.ones(2)
    return float(a[0]), float(a[1])


def _momentum(c: dict[str, Any]) -> list[Line]:
    p, s1 = c["params"], c["after"]
    b = p["beta"]
    if p["variant"] == "classic":
        return [("v", "v ← βv + g", s1.v), ("Δθ", "Δθ = −α·v", c["step"])]
    lines: list[Line] = [("v", "v ← βv + (1−β)g", s1.v)]
    if p["bias_correction"]:
        lines.append(("v̂", "v̂ = v/(1−βᵗ)", s1.v / (1.0 - b ** float(c["t"] + 1))))
        lines.append(("Δθ", "Δθ = −α·v̂", c["step"]))
    else:
        lines.append(("Δθ", "Δθ = −α·v", c["step"]))
    return lines


def _nesterov(c: dict[str, Any]) -> list[Line]:
    s1, b = c["after"], c["params"]["beta"]
    return [("v", "v ← βv + g", s1.v), ("Δθ", "Δθ = −α·(g + βv)", c["step"])]


def _adagrad(c: dict[str, Any]) -> list[Line]:
    s1, eps, lr = c["after"], c["params"]["eps"], c["lr"]
    return [
        ("s", "s ← s + g²", s1.s),
        ("αᵢ", "αᵢ = α/(√sᵢ + ε)", lr / (np.sqrt(s1.s) + eps)),
        ("Δθ", "Δθ = −αᵢ·gᵢ", c["step"]),
    ]


def _rmsprop(c: dict[str, Any]) -> list[Line]:
    s1, eps, lr = c["after"], c["params"]["eps"], c["lr"]
    return [
        ("s", "s ← βs + (1−β)g²", s1.s),
        ("αᵢ", "αᵢ = α/(√sᵢ + ε)", lr / (np.sqrt(s1.s) + eps)),
        ("Δθ", "Δθ = −αᵢ·gᵢ", c["step"]),
    ]


def _adadelta(c: dict[str, Any]) -> list[Line]:
    s0, s1, eps, lr = c["before"], c["after"], c["params"]["eps"], c["lr"]
    rate = lr * np.sqrt(s0.d + eps) / np.sqrt(s1.s + eps)
    return [
        ("s", "s ← ρs + (1−ρ)g²", s1.s),
        ("αᵢ", "αᵢ = α·√(dᵢ + ε)/√(sᵢ + ε)", rate),
        ("Δθ", "Δθ = −αᵢ·gᵢ", c["step"]),
        ("d", "d ← ρd + (1−ρ)(Δθ/α)²", s1.d),
    ]


def _adam(c: dict[str, Any]) -> list[Line]:
    p, s1, lr, t = c["params"], c["after"], c["lr"], c["t"] + 1
    b1, b2, eps = p["beta1"], p["beta2"], p["eps"]
    lines: list[Line] = []
    wd = p.get("weight_decay", 0.0)
    if wd:
        lines.append(("θ", "θ ← θ·(1 − αλ)", c["theta"] * (1.0 - lr * wd)))
    lines += [("m", "m ← β₁m + (1−β₁)g", s1.m), ("v", "v ← β₂v + (1−β₂)g²", s1.v)]
    second = s1.vmax if p["amsgrad"] else s1.v
    if p["amsgrad"]:
        lines.append(("v_max", "v_max ← max(v_max, v)", s1.vmax))
    if p["bias_correction"]:
        c1, c2 = 1.0 - b1 ** float(t), math.sqrt(1.0 - b2 ** float(t))
        vname = "v_max" if p["amsgrad"] else "v"
        lines += [
            ("m̂", "m̂ = m/(1−β₁ᵗ)", s1.m / c1),
            ("v̂", f"v̂ = {vname}/(1−β₂ᵗ)", second / (c2 * c2)),
            ("αᵢ", "αᵢ = α/((1−β₁ᵗ)(√v̂ᵢ + ε))", lr / c1 / (np.sqrt(second) / c2 + eps)),
            ("Δθ", "Δθ = −α·m̂/(√v̂ + ε) = −αᵢ·mᵢ", c["step"]),
        ]
    else:
        lines += [
            ("αᵢ", "αᵢ = α/(√vᵢ + ε)", lr / (np.sqrt(second) + eps)),
            ("Δθ", "Δθ = −αᵢ·mᵢ", c["step"]),
        ]
    return lines


def _closure_info(c: dict[str, Any]) -> Any:
    """What step t of a closure optimizer did: the run replayed by its own driver (the same code,
    the same noise draws and mini-batches), its StepInfo kept."""
    from app.engine.closure import ClosureRun

    run = ClosureRun(c["problem"], c["config"])
    run.infos = []
    run.advance(c["t"] + 1)
    return run.infos[c["t"]]


def _lbfgs(c: dict[str, Any]) -> list[Line]:
    """Notation only (shared by both languages): torch's own names n_iter and func_evals, the
    two-loop recursion's H̃, the line search's t."""
    info = _closure_info(c)
    search = c["params"]["line_search_fn"] == "strong_wolfe"
    return [
        ("k", "k = n_iter of this step(closure)", (float(info.iterations), None)),
        ("evals", "func_evals of this step(closure)", (float(info.evals), None)),
        ("H̃g", "H̃g  (two-loop recursion, m = history_size; last k)", (-info.direction[0], -info.direction[1])),
        ("d", "d = −H̃g", info.direction),
        ("t", "t = strong_wolfe(f, θ, d)  (last k)" if search else "t = α  (first k ever: min(1, 1/‖g‖₁)·α)",
         (info.step_length, None)),
        ("Δθ", "Δθ = Σₖ tₖ·dₖ", c["step"]),
    ]


def _newton(c: dict[str, Any]) -> list[Line]:
    info = _closure_info(c)
    a, b, cc = info.hessian
    mus = np.linalg.eigvalsh(np.array([[a, b], [b, cc]])) if np.isfinite([a, b, cc]).all() else (math.nan, math.nan)
    d_formula = ("d = V(|M| + λI)⁻¹Vᵀg,  H + λI ⊁ 0  (H = VMVᵀ)" if info.fallback else "d = (H + λI)⁻¹g")
    return [
        ("H₁", "H = ∇²f(θ):  (∂²f/∂x², ∂²f/∂x∂y)", (a, b)),
        ("H₂", "(∂²f/∂y∂x, ∂²f/∂y²)", (b, cc)),
        ("μ", "μ = eig(H)", (float(mus[0]), float(mus[1]))),
        ("d", d_formula, info.direction),
        ("Δθ", "Δθ = −α·d", c["step"]),
    ]


RULE_LINES: dict[str, LinesFn] = {
    "lbfgs": _lbfgs,
    "newton": _newton,
    "gd": lambda c: [("Δθ", "Δθ = −α·g", c["step"])],
    "momentum": _momentum,
    "nesterov": _nesterov,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adadelta": _adadelta,
    "adam": _adam,
    "adamw": _adam,
}


class InspectError(ValueError):
    pass


def inspect_step(problem: Problem, answer: dict[str, Any], run: int, t: int) -> dict[str, Any]:
    """Update ``t`` (from point t to t + 1) of run ``run`` of ``answer`` (the trajectories answer
    to ``problem`` with ``include_state``)."""
    if not 0 <= run < len(problem.runs):
        raise InspectError(f"run must be between 0 and {len(problem.runs) - 1}, got {run}")
    cfg, res = problem.runs[run], answer["runs"][run]
    n = int(res["steps_taken"])
    if n == 0:
        raise InspectError("this run took no update to inspect")
    if not 0 <= t < n:
        raise InspectError(f"t must be between 0 and {n - 1} (the run took {n} updates), got {t}")
    st = res["state"]
    gx, gy, lrs = np.asarray(st["gx"], float), np.asarray(st["gy"], float), np.asarray(res["lr"], float)
    theta = np.array([res["x"][t], res["y"][t]], dtype=float)
    g = np.array([gx[t], gy[t]])
    out: dict[str, Any] = {
        "run": run,
        "t": t,
        "optimizer": cfg.optimizer.id,
        "label": cfg.label,
        "theta": list(_pair(theta)),
        "lr": float(lrs[t]),
        "g": list(_pair(g)),
    }
    step = np.array([res["x"][t + 1] - res["x"][t], res["y"][t + 1] - res["y"][t]])
    lines_fn = RULE_LINES.get(cfg.optimizer.id)
    if lines_fn is not None and cfg.optimizer.driver == "closure":  # not element-wise: replayed by its driver
        ctx = {"params": cfg.params, "lr": float(lrs[t]), "t": t, "theta": theta, "step": step, "problem": problem,
               "config": cfg}
        gline = "g = ∇f(θ) + ξ" if cfg.noise_std else ("g = ∇f_B(θ)" if cfg.batch_size else "g = ∇f(θ)")
        return _filled(out, [("g", gline, g)] + lines_fn(ctx))
    if lines_fn is None or cfg.optimizer.factory is None:
        out.update(known=False, note=f"no inspector for the optimizer {cfg.optimizer.id!r} yet",
                   lines=[{"symbol": "Δθ", "formula": "Δθ", "x": float(step[0]), "y": float(step[1])}])
        return out
    moms = res.get("momentum")  # a schedule that cycles the momentum: the rule's first hyperparameter per update
    name = momentum_name(cfg.optimizer) if moms is not None else None

    def params_at(k: int) -> dict[str, Any]:
        return cfg.params if name is None else {**cfg.params, name: float(moms[k])}

    opt = cfg.optimizer.build(ARRAY, cfg.params)
    p = np.array([res["x"][0], res["y"][0]], dtype=float)
    state = opt.init(p)
    for k in range(t):  # replay the updates before t on the gradients the run used
        if name is not None:
            opt = cfg.optimizer.build(ARRAY, params_at(k))
        p, state = opt.update(np.array([gx[k], gy[k]]), state, p, lrs[k])
    before = state
    if name is not None:
        opt = cfg.optimizer.build(ARRAY, params_at(t))
    p_new, after = opt.update(g, before, p, lrs[t])
    ctx = {"params": params_at(t), "before": before, "after": after, "lr": float(lrs[t]), "t": t, "theta": p,
           "step": p_new - p}
    # formulas are shared by both languages: noise ξ ~ N(0, σ²), a mini-batch B
    gline = "g = ∇f(θ) + ξ" if cfg.noise_std else ("g = ∇f_B(θ)" if cfg.batch_size else "g = ∇f(θ)")
    lines = [("g", gline, g)] + lines_fn(ctx)
    return _filled(out, lines)


def _filled(out: dict[str, Any], lines: list[Line]) -> dict[str, Any]:
    out["known"] = True
    out["note"] = None
    out["lines"] = []
    for symbol, formula, value in lines:
        if isinstance(value, tuple) and len(value) == 2 and value[1] is None:  # a scalar: its value under x
            vx, vy = float(value[0]), None
        else:
            vx, vy = _pair(value)
        out["lines"].append({"symbol": symbol, "formula": formula, "x": _finite(vx), "y": _finite(vy)})
    return out


def _finite(v: float | None) -> float | None:
    return v if v is None or math.isfinite(v) else None
