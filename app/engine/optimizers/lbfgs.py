"""L-BFGS: d = −H̃g,  H̃ = H̃(sᵢ = Δθᵢ, yᵢ = Δgᵢ; k − m < i ≤ k),  t = strong_wolfe(f, θ, d),  θ ← θ + t·d

A quasi-Newton method: curvature estimated from the last gradient differences, and a line search;
one step is one step(closure) call, which evaluates the loss several times (drawn as markers).

Convention: torch LBFGS (line_search_fn="strong_wolfe" by default here, torch's default is None;
max_eval 0 = torch's None); include_state: mx, my = H̃g of the last inner iteration (the step is
along −H̃g)

L-BFGS as torch ``LBFGS``: one step is one ``step(closure)`` call, up to ``max_iter`` inner
iterations, each a quasi-Newton direction d = −H̃g (the two-loop recursion over the last
``history_size`` pairs s = θₖ₊₁ − θₖ, y = gₖ₊₁ − gₖ, H̃₀ = (sᵀy/yᵀy)·I) and a step length t
(strong-Wolfe line search, or the fixed t = lr), θ ← θ + t·d; at most ``max_eval`` closure
evaluations per step (0: torch's default max_iter·5/4). Not element-wise: it runs in its own
driver (`app.engine.closure`), which records every closure evaluation (``evals``). optax's lbfgs
runs its own zoom line search and scaling (no optax script).
"""

from __future__ import annotations

from typing import Any

from ..params import ParamSpec
from .base import Optimizer, declare, lr_param


def factory(
    xp: Any,
    max_iter: int,
    max_eval: int,
    tolerance_grad: Any,
    tolerance_change: Any,
    history_size: int,
    line_search_fn: str,
) -> Optimizer:
    del max_iter, max_eval, tolerance_grad, tolerance_change, history_size, line_search_fn  # its driver's
    raise TypeError("L-BFGS is not element-wise: it runs in app.engine.closure (ClosureRun)")


LINES = """
k ¦ k = n_iter of this step(closure) ¦ iterations
evals ¦ func_evals of this step(closure) ¦ evals
H̃g ¦ H̃g  (two-loop recursion, m = history_size; last k) ¦ hg
d ¦ d = −H̃g ¦ direction
t ¦ {search} ¦ step_length
Δθ ¦ Δθ = Σₖ tₖ·dₖ ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    """Notation only (shared by both languages): torch's own names n_iter and func_evals, the
    two-loop recursion's H̃, the line search's t. ``info``: the step's `closure.StepInfo`."""
    info = c["info"]
    search = c["params"]["line_search_fn"] == "strong_wolfe"
    return {
        "iterations": (float(info.iterations), None),
        "evals": (float(info.evals), None),
        "hg": (-info.direction[0], -info.direction[1]),
        "direction": info.direction,
        "search": "t = strong_wolfe(f, θ, d)  (last k)" if search else "t = α  (first k ever: min(1, 1/‖g‖₁)·α)",
        "step_length": (info.step_length, None),
    }


# one update = one opt.step(closure) (the script's closure loop, in the closure template)
def torch(p: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"torch.optim.LBFGS([p], lr={p['lr']!r}, max_iter={p['max_iter']!r}, "
        f"max_eval={(p['max_eval'] or None)!r}, tolerance_grad={p['tolerance_grad']!r}, "
        f"tolerance_change={p['tolerance_change']!r}, history_size={p['history_size']!r}, "
        f"line_search_fn={('strong_wolfe' if p['line_search_fn'] == 'strong_wolfe' else None)!r})",
        "torch_closure",
    )


OPTAX_REFUSED = (
    "optax's lbfgs runs its own zoom line search and scaling, not torch's LBFGS step; use the PyTorch script"
)


SPEC = declare(
    __name__,
    (
        lr_param(1.0),
        ParamSpec(
            "max_iter",
            20,
            1,
            200,
            "inner iterations per step (one step = one step(closure) call)",
            kind="int",
            slider_max=50,
        ),
        ParamSpec(
            "max_eval",
            0,
            0,
            500,
            "closure evaluations per step at most (0: max_iter·5/4, torch's None)",
            kind="int",
            slider_max=100,
        ),
        ParamSpec(
            "tolerance_grad",
            1e-7,
            0.0,
            1e3,
            "stop a step when max |gᵢ| ≤ this",
            log_scale=True,
            slider_min=1e-12,
            slider_max=1.0,
        ),
        ParamSpec(
            "tolerance_change",
            1e-9,
            0.0,
            1.0,
            "stop a step when the loss or θ changes less than this",
            log_scale=True,
            slider_min=1e-14,
            slider_max=1e-2,
        ),
        ParamSpec("history_size", 100, 1, 1000, "m, (s, y) pairs kept", kind="int", slider_max=100),
        ParamSpec(
            "line_search_fn",
            "strong_wolfe",
            description="strong_wolfe: search t along d; none: t = lr",
            kind="choice",
            choices=("strong_wolfe", "none"),
        ),
    ),
    color="#117733",
    order=15,
)
