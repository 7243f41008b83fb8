"""The step inspector: one update of one run, each line of its rule with the numbers filled in.

The numbers come from replaying the run's update rule (the plain-Python factories of
`app.engine.optimizers`, the same formulas the compiled loop runs) on the gradients the run used
(``include_state``'s gx, gy: noise and mini-batches included) and the lrs of its schedule. So
g, the moment, the effective per-axis lr and the step equal what the trajectory answer reports.

The lines of each rule are written once, in the optimizer's own module, in the method's own
notation: text with named slots (its ``LINES``) that the update's context and the rule's
internals fill (``SPEC.lines``, `app.engine.optimizers.base.fill`); ``RULE_LINES`` below is
derived from the registry, and every registered optimizer has lines: tests/inspect checks it. An
optimizer without lines still gets g, lr and the step, with ``known: false`` and a note. Where the
factory cannot replay an update alone the module says how (``SPEC.replay``: the Polyak step
size's γ from the loss the run used).

A run with an optimizer chain (`app.engine.problem.legs`) is inspected in the leg of update t: the
active link's rule and params, replayed from the point where that link took over with fresh state
(its local step t − start for Adam's bias corrections), on the run's gradients and its whole-clock
lrs; the answer's ``link`` says which link and from which update (absent for a run without chain).
A SWATS chain is inspected as the chain its answer's ``swats`` placed.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .engine.backend import ARRAY
from .engine.feedback import momentum_name
from .engine.optimizers import OPTIMIZERS
from .engine.optimizers.base import Line, LinesFn
from .engine.problem import legs
from .engine.runner import Problem, RunConfig
from .engine.switching import placed
from .i18n import text

Pair = tuple[float, float]


def _pair(a: Any) -> Pair:
    a = np.asarray(a, dtype=float) * np.ones(2)
    return float(a[0]), float(a[1])


def _closure_info(c: dict[str, Any]) -> Any:
    """What step t of a closure optimizer did: the run replayed by its own driver (the same code,
    the same noise draws and mini-batches), its StepInfo kept."""
    from .engine.closure import ClosureRun

    run = ClosureRun(c["problem"], c["config"])
    run.infos = []
    run.advance(c["t"] + 1)
    return run.infos[c["t"]]


def rule_lines() -> dict[str, LinesFn]:
    """Each registered optimizer's inspector lines (from its module)."""
    return {oid: spec.lines for oid, spec in OPTIMIZERS.items() if spec.lines is not None}


RULE_LINES: dict[str, LinesFn] = rule_lines()


class InspectError(ValueError):
    pass


def inspect_step(problem: Problem, answer: dict[str, Any], run: int, t: int) -> dict[str, Any]:
    """Update ``t`` (from point t to t + 1) of run ``run`` of ``answer`` (the trajectories answer
    to ``problem`` with ``include_state``)."""
    if not 0 <= run < len(problem.runs):
        raise InspectError(text("error.inspect.run_got", last=len(problem.runs) - 1, run=run))
    cfg, res = problem.runs[run], answer["runs"][run]
    n = int(res["steps_taken"])
    if n == 0:
        raise InspectError(text("error.inspect.no_update"))
    if not 0 <= t < n:
        raise InspectError(text("error.inspect.t", last=n - 1, n=n, t=t))
    if cfg.swats is not None:  # a SWATS chain: placed where the answer says it switched
        cfg = placed(cfg, res["swats"])
    if not cfg.switches:
        return _inspect_leg(problem, cfg, res, run, t, t)
    j, (leg, t0, t1) = next((j, p) for j, p in reversed(list(enumerate(legs(cfg, problem.steps)))) if p[1] <= t)
    start = (float(res["x"][t0]), float(res["y"][t0]))
    sub = replace(problem, start=start, steps=t1 - t0)
    link = {"index": j, "optimizer": leg.optimizer.id, "start": t0, "step": t - t0}
    return _inspect_leg(sub, leg, _from(res, t0), run, t - t0, t) | {"link": link}


def _from(res: dict[str, Any], t0: int) -> dict[str, Any]:
    """A run's answer from update ``t0`` on: the points from t0, the per-update lists from t0."""
    out = {k: res[k][t0:] for k in ("x", "y", "loss", "lr", "batch_loss", "momentum") if res.get(k) is not None}
    out["state"] = {k: None if v is None else v[t0:] for k, v in res["state"].items()}
    return out


def _inspect_leg(problem: Problem, cfg: RunConfig, res: dict[str, Any], run: int, t: int, t_run: int) -> dict[str, Any]:
    """Update ``t`` of ``res``, the answer of one run without chain (a chain's leg: ``t_run`` is
    the update's index in the whole run)."""
    st = res["state"]
    gx, gy, lrs = np.asarray(st["gx"], float), np.asarray(st["gy"], float), np.asarray(res["lr"], float)
    theta = np.array([res["x"][t], res["y"][t]], dtype=float)
    g = np.array([gx[t], gy[t]])
    out: dict[str, Any] = {
        "run": run,
        "t": t_run,
        "optimizer": cfg.optimizer.id,
        "label": cfg.label,
        "theta": list(_pair(theta)),
        "lr": float(lrs[t]),
        "g": list(_pair(g)),
    }
    step = np.array([res["x"][t + 1] - res["x"][t], res["y"][t + 1] - res["y"][t]])
    lines_fn = cfg.optimizer.lines
    # formulas are shared by both languages: noise ξ ~ N(0, σ²), a mini-batch B
    gline = "g = ∇f(θ) + ξ" if cfg.noise_std else ("g = ∇f_B(θ)" if cfg.batch_size else "g = ∇f(θ)")
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
        info = ctx["info"] = _closure_info(ctx)
        out["stop"] = info.stop or None  # L-BFGS: why the step ended (a Δθ = 0 explained)
        return _filled(out, [("g", gline, g), *lines_fn(ctx)])
    if lines_fn is None or cfg.optimizer.factory is None:
        out.update(
            known=False,
            note=f"no inspector for the optimizer {cfg.optimizer.id!r} yet",
            lines=[{"symbol": "Δθ", "formula": "Δθ", "x": float(step[0]), "y": float(step[1])}],
        )
        return out
    moms: Any = res.get("momentum")  # a schedule that cycles the momentum: the rule's first hyperparameter per update
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
    if cfg.optimizer.replay is not None:  # the module's own replay of this update
        ctx.update(result=res, problem=problem, config=cfg)
        p_new = cfg.optimizer.replay(ctx)
    ctx["step"] = p_new - p
    return _filled(out, [("g", gline, g), *lines_fn(ctx)])


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
