"""The step inspector: one update of one run, each line of its rule with the numbers filled in.

The numbers come from replaying the run's update rule (the plain-Python factories of
`app.engine.optimizers`, the same formulas the compiled loop runs) on the gradients the run used
(``include_state``'s gx, gy: noise and mini-batches included) and the lrs of its schedule. So
g, the moment, the effective per-axis lr and the step equal what the trajectory answer reports.

The lines of each rule are written once, in ``RULE_LINES`` below, keyed by the registry's ids and
in each method's own notation (every registered optimizer has one: tests/inspect checks it). An
optimizer without an entry still gets g, lr and the step, with ``known: false`` and a note.
The Polyak step size's γ is recomputed from the loss the run used (a mini-batch's on datasets).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine.backend import ARRAY
from .engine.feedback import momentum_name
from .engine.kernels import rules
from .engine.runner import Problem, schedule_lrs

_polyak_rate = getattr(rules.polyak_rate, "py_func", rules.polyak_rate)

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
    from .engine.closure import ClosureRun

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
        (
            "t",
            "t = strong_wolfe(f, θ, d)  (last k)" if search else "t = α  (first k ever: min(1, 1/‖g‖₁)·α)",
            (info.step_length, None),
        ),
        ("Δθ", "Δθ = Σₖ tₖ·dₖ", c["step"]),
    ]


def _newton(c: dict[str, Any]) -> list[Line]:
    info = _closure_info(c)
    a, b, cc = info.hessian
    mus = np.linalg.eigvalsh(np.array([[a, b], [b, cc]])) if np.isfinite([a, b, cc]).all() else (math.nan, math.nan)
    d_formula = "d = V(|M| + λI)⁻¹Vᵀg,  H + λI ⊁ 0  (H = VMVᵀ)" if info.fallback else "d = (H + λI)⁻¹g"
    return [
        ("H₁", "H = ∇²f(θ):  (∂²f/∂x², ∂²f/∂x∂y)", (a, b)),
        ("H₂", "(∂²f/∂y∂x, ∂²f/∂y²)", (b, cc)),
        ("μ", "μ = eig(H)", (float(mus[0]), float(mus[1]))),
        ("d", d_formula, info.direction),
        ("Δθ", "Δθ = −α·d", c["step"]),
    ]


def _l2(c: dict[str, Any], lines: list[Line], wd: float) -> Any:
    """torch's L2 weight decay: g′ = g + λθ (the gradient the rule then uses)."""
    g = c["g"]
    if wd:
        g = g + wd * c["theta"]
        lines.append(("g′", "g′ = g + λθ", g))
    return g


def _decay(c: dict[str, Any], lines: list[Line], wd: float, decoupled: bool) -> Any:
    """L2 (g′ = g + λθ) or decoupled (θ ← θ·(1 − αλ) first) weight decay."""
    if wd and decoupled:
        lines.append(("θ′", "θ′ = θ·(1 − αλ)", c["theta"] * (1.0 - c["lr"] * wd)))
        return c["g"]
    return _l2(c, lines, wd)


def _sgd(c: dict[str, Any]) -> list[Line]:
    p, s1 = c["params"], c["after"]
    b = p["momentum"]
    lines: list[Line] = []
    _l2(c, lines, p["weight_decay"])
    gname = "g′" if p["weight_decay"] else "g"
    if b == 0.0:
        return lines + [("Δθ", f"Δθ = −α·{gname}", c["step"])]
    first = c["t"] == 0
    lines.append(("v", f"v = {gname} (the first update: undamped)" if first else f"v ← βv + (1−d)·{gname}", s1.a))
    lines.append(("Δθ", f"Δθ = −α·({gname} + βv)" if p["nesterov"] else "Δθ = −α·v", c["step"]))
    return lines


def _nadam(c: dict[str, Any]) -> list[Line]:
    p, s1, lr, step = c["params"], c["after"], c["lr"], float(c["t"] + 1)
    b1, b2, eps, psi = p["beta1"], p["beta2"], p["eps"], p["momentum_decay"]
    lines: list[Line] = []
    _decay(c, lines, p["weight_decay"], p["decoupled_weight_decay"])
    mu = b1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
    mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * psi)))
    denom = np.sqrt(s1.b / (1.0 - b2**step)) + eps
    return lines + [
        ("μₜ", "μₜ = β₁(1 − ½·0.96^(tψ))", mu),
        ("μₜ₊₁", "μₜ₊₁ = β₁(1 − ½·0.96^((t+1)ψ))", mu_next),
        ("Πμ", "Πμ ← Πμ·μₜ", s1.c),
        ("m", "m ← β₁m + (1−β₁)g", s1.a),
        ("v", "v ← β₂v + (1−β₂)g²", s1.b),
        ("v̂", "v̂ = v/(1−β₂ᵗ)", s1.b / (1.0 - b2**step)),
        ("αᵢ", "αᵢ = α/(√v̂ᵢ + ε)", lr / denom),
        ("Δθ", "Δθ = −αᵢ·((1−μₜ)/(1−Πμ)·g + μₜ₊₁/(1−Πμ·μₜ₊₁)·m)", c["step"]),
    ]


def _radam(c: dict[str, Any]) -> list[Line]:
    p, s1, lr, step = c["params"], c["after"], c["lr"], float(c["t"] + 1)
    b1, b2, eps = p["beta1"], p["beta2"], p["eps"]
    lines: list[Line] = []
    _decay(c, lines, p["weight_decay"], p["decoupled_weight_decay"])
    bc1, bc2 = 1.0 - b1**step, 1.0 - b2**step
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho = rho_inf - 2.0 * step * (b2**step) / bc2
    lines += [
        ("m", "m ← β₁m + (1−β₁)g", s1.a),
        ("v", "v ← β₂v + (1−β₂)g²", s1.b),
        ("m̂", "m̂ = m/(1−β₁ᵗ)", s1.a / bc1),
        ("ρₜ", "ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ), ρ∞ = 2/(1−β₂) − 1", rho),
    ]
    if rho > 5.0:
        adaptive = 1.0 / (np.sqrt(s1.b) + eps) * (bc2**0.5)
        rect = ((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)) ** 0.5
        return lines + [
            ("r", "r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ))", rect),
            ("αᵢ", "αᵢ = α·r·√(1−β₂ᵗ)/((√vᵢ + ε)(1−β₁ᵗ))", lr * adaptive * rect / bc1),
            ("Δθ", "Δθ = −α·m̂·r·√(1−β₂ᵗ)/(√v + ε) = −αᵢ·mᵢ", c["step"]),
        ]
    return lines + [
        ("αᵢ", "ρₜ ≤ 5: αᵢ = α/(1−β₁ᵗ) (momentum SGD)", lr / bc1 * np.ones(2)),
        ("Δθ", "Δθ = −α·m̂", c["step"]),
    ]


def _adamax(c: dict[str, Any]) -> list[Line]:
    p, s1, lr, step = c["params"], c["after"], c["lr"], float(c["t"] + 1)
    lines: list[Line] = []
    _l2(c, lines, p["weight_decay"])
    gname = "g′" if p["weight_decay"] else "g"
    clr = lr / (1.0 - p["beta1"] ** step)
    return lines + [
        ("m", f"m ← β₁m + (1−β₁)·{gname}", s1.a),
        ("u", f"u ← max(β₂u, |{gname}| + ε)", s1.b),
        ("αᵢ", "αᵢ = α/((1−β₁ᵗ)·uᵢ)", clr / s1.b),
        ("Δθ", "Δθ = −αᵢ·mᵢ", c["step"]),
    ]


def _rprop(c: dict[str, Any]) -> list[Line]:
    p, s0, s1 = c["params"], c["before"], c["after"]
    prod = c["g"] * s0.a
    factor = np.where(prod > 0, p["etaplus"], np.where(prod < 0, p["etaminus"], 1.0))
    return [
        ("g·g₋₁", "g·g₋₁ (the sign held: > 0; flipped: < 0)", prod),
        ("η", "η = η₊ if g·g₋₁ > 0, η₋ if < 0, else 1", factor),
        ("αᵢ", "sᵢ ← clamp(sᵢ·η, s_min, s_max)  (s starts at α)", s1.b),
        ("Δθ", "Δθ = −sign(g)·sᵢ  (0 after a flip: g is forgotten)", c["step"]),
    ]


def _asgd(c: dict[str, Any]) -> list[Line]:
    p, s0, s1, lr = c["params"], c["before"], c["after"], c["lr"]
    lines: list[Line] = []
    _l2(c, lines, p["weight_decay"])
    gname = "g′" if p["weight_decay"] else "g"
    eta = lr * np.ones(2) if c["t"] == 0 else s0.a
    return lines + [
        ("η", "η (this update's rate; η₀ = α)", eta),
        ("Δθ", f"θ ← θ·(1 − λη) − η·{gname}", c["step"]),
        ("ā", "ā ← ā + μ·(θ − ā)  (ā = θ while μ = 1)", s1.b),
        ("η′", "η ← α/(1 + λαt)^a", s1.a),
        ("μ", "μ ← 1/max(1, t − t₀)", s1.c),
    ]


def _lion(c: dict[str, Any]) -> list[Line]:
    p, s0, s1 = c["params"], c["before"], c["after"]
    b1 = p["beta1"]
    interp = (1.0 - b1) * c["g"] + b1 * s0.a
    return [
        ("c", "c = (1−β₁)g + β₁m", interp),
        ("Δθ", "Δθ = −α·(sign(c) + λθ)", c["step"]),
        ("m", "m ← (1−β₂)g + β₂m", s1.a),
    ]


def _schedule_free(c: dict[str, Any]) -> list[Line]:
    p, s0, s1, lr, y = c["params"], c["before"], c["after"], c["lr"], c["theta"]
    b1, b2, eps, power = p["beta1"], p["beta2"], p["eps"], p["weight_lr_power"]
    nu_hat = s1.nu / (1.0 - b2 ** float(c["t"] + 1))
    rate = lr * (1.0 / (np.sqrt(nu_hat) + eps))
    weight = s1.lr_max**power
    total = s0.wsum + weight
    ck = np.where(total == 0.0, 0.0, weight / np.where(total == 0.0, 1.0, total))  # 0/0 (lr 0): 0, as optax
    x0 = (y - (1.0 - b1) * s0.z) / b1
    x1 = (1.0 - ck) * x0 + ck * s1.z
    return [
        ("x", "x = (y − (1−β₁)z)/β₁  (the average, before)", x0),
        ("ν", "ν ← β₂ν + (1−β₂)g²", s1.nu),
        ("ν̂", "ν̂ = ν/(1−β₂ᵗ)", nu_hat),
        ("αᵢ", "αᵢ = α/(√ν̂ᵢ + ε)", rate),
        ("z", "z ← z − αᵢ·g − αλy", s1.z),
        ("α_max", "α_max ← max(α_max, α)", s1.lr_max),
        ("cₜ", "cₜ = α_maxᵖ/Σα_maxᵖ", ck),
        ("x′", "x ← (1−cₜ)x + cₜz", x1),
        ("y", "y ← β₁x + (1−β₁)z  (where the next gradient is taken)", y + c["step"]),
        ("Δθ", "Δθ = Δy", c["step"]),
    ]


def _polyak(c: dict[str, Any]) -> list[Line]:
    p, g, s = c["params"], c["g"], c["schedule_lr"]
    gap = c["f"] - p["f_min"]
    plus = p["variant"] == "sps+"
    return [
        ("f − f*", "(f(θ) − f*)₊" if plus else "f(θ) − f*", max(gap, 0.0) if plus else gap),
        ("s", "s = the schedule's lr (optax's scaling)", s),
        ("‖sg‖²", "‖s·g‖²", float(np.sum((-s * g) ** 2))),
        ("γ", "γ = min((f − f*)/(‖s·g‖² + ε), γ_max)", c["gamma"]),
        ("αᵢ", "αᵢ = s·γ  (the lr drawn)", c["lr"] * np.ones(2)),
        ("Δθ", "Δθ = γ·(−s·g)", c["step"]),
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
    "sgd": _sgd,
    "nadam": _nadam,
    "radam": _radam,
    "adamax": _adamax,
    "rprop": _rprop,
    "asgd": _asgd,
    "lion": _lion,
    "schedule_free_adamw": _schedule_free,
    "polyak_sgd": _polyak,
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
        ctx = {
            "params": cfg.params,
            "lr": float(lrs[t]),
            "t": t,
            "theta": theta,
            "step": step,
            "problem": problem,
            "config": cfg,
        }
        gline = "g = ∇f(θ) + ξ" if cfg.noise_std else ("g = ∇f_B(θ)" if cfg.batch_size else "g = ∇f(θ)")
        return _filled(out, [("g", gline, g)] + lines_fn(ctx))
    if lines_fn is None or cfg.optimizer.factory is None:
        out.update(
            known=False,
            note=f"no inspector for the optimizer {cfg.optimizer.id!r} yet",
            lines=[{"symbol": "Δθ", "formula": "Δθ", "x": float(step[0]), "y": float(step[1])}],
        )
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
    ctx = {"params": params_at(t), "before": before, "after": after, "lr": float(lrs[t]), "t": t, "theta": p, "g": g}
    if cfg.optimizer.rule == rules.POLYAK:  # γ from the loss the run used (a mini-batch's on datasets)
        losses = res.get("batch_loss") or res["loss"]
        s = float(schedule_lrs(problem, cfg)[t])
        pp = cfg.params
        gamma = _polyak_rate(
            float(losses[t]),
            float(g[0]),
            float(g[1]),
            s,
            pp["max_learning_rate"],
            pp["eps"],
            float(pp["variant"] == "sps+"),
            pp["f_min"],
        )
        p_new = p + gamma * (-s * g)  # the loop's order of operations (the replay above: to round-off)
        ctx.update(f=float(losses[t]), schedule_lr=s, gamma=gamma)
    ctx["step"] = p_new - p
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
