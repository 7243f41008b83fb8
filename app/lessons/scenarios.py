"""Guided scenarios: named, ready requests with what to look at. One click away in the lessons page,
and each opens in the studio to play with."""

from __future__ import annotations

from typing import Any


def _run(opt: str, label: str, **params: Any) -> dict[str, Any]:
    extra = {k: params.pop(k) for k in ("schedule", "batch_size", "noise_std") if k in params}
    return {"optimizer": opt, "label": label, "params": params, **extra}


SCENARIOS: list[dict[str, Any]] = [
    {
        "id": "batch-vs-minibatch",
        "title": "Batch vs mini-batch vs stochastic gradient descent",
        "explanation": "Linear regression on 1,000 samples of one raw feature. Batch GD (batch size m) takes one "
        "smooth step per epoch; mini-batches of 64 take ⌈1000/64⌉ = 16 noisy steps per epoch, reshuffled every "
        "epoch; stochastic GD (batch size 1) takes 1,000 very noisy steps. Compare the noisy mini-batch cost with "
        "the full cost in the loss chart. Sizes of 64–512 (powers of two) are the usual choice; with m ≤ 2000, "
        "plain batch gradient descent is fine.",
        "formulas": ["epoch = ⌈m / batch size⌉ updates", "θ ← θ − α·∇J_batch(θ)"],
        "kind": "trajectories",
        "request": {
            "surface": "linear_regression",
            "start": [0.0, -4.0],
            "steps": 400,
            "seed": 0,
            "runs": [
                _run("gd", "batch (m = 1000)", lr=0.02, batch_size=1000),
                _run("gd", "mini-batch 64", lr=0.02, batch_size=64),
                _run("gd", "stochastic (1)", lr=0.02, batch_size=1),
            ],
        },
    },
    {
        "id": "momentum-bowl",
        "title": "Momentum on an elongated bowl",
        "explanation": "Gradient descent zig-zags across the steep axis and crawls along the flat one. Momentum "
        "averages the gradients: the zig-zags cancel and the steady component adds up. The course's form "
        "v ← βv + (1−β)g keeps steps the size of α·g; torch's form v ← βv + g makes them about 1/(1−β) = 10 times "
        "longer, so the same α behaves like α/(1−β): the classic run needs a 10× smaller α to match.",
        "formulas": ["v ← βv + (1−β)g,  θ ← θ − α·v", "v ← βv + g,  θ ← θ − α·v  (≈ α/(1−β) effective)"],
        "kind": "trajectories",
        "request": {
            "surface": "elongated_bowl",
            "start": [-9.0, 3.0],
            "steps": 150,
            "runs": [
                _run("gd", "GD α=0.45", lr=0.45),
                _run("momentum", "momentum (ewa) α=0.45", lr=0.45, beta=0.9, variant="ewa"),
                _run("momentum", "momentum (classic) α=0.045", lr=0.045, beta=0.9, variant="classic"),
            ],
        },
    },
    {
        "id": "rmsprop-adam",
        "title": "RMSprop and Adam: per-axis scaling and bias correction",
        "explanation": "RMSprop divides each axis by the root of its own average squared gradient, so the steep "
        "and the flat axis move at similar speeds. Adam adds momentum. Without bias correction Adam's averages "
        "start at zero and its first steps are distorted (m and v are both too small, by different factors): "
        "compare the first iterations of the two Adam runs.",
        "formulas": ["s ← βs + (1−β)g²,  θ ← θ − α·g/(√s + ε)", "m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)"],
        "kind": "trajectories",
        "request": {
            "surface": "elongated_bowl",
            "start": [-9.0, 3.0],
            "steps": 200,
            "runs": [
                _run("gd", "GD", lr=0.45),
                _run("rmsprop", "RMSprop", lr=0.1),
                _run("adam", "Adam", lr=0.3),
                _run("adam", "Adam without bias correction", lr=0.3, bias_correction=False),
            ],
        },
    },
    {
        "id": "lr-decay",
        "title": "Learning-rate decay",
        "explanation": "With noisy gradients (mini-batches), a constant learning rate keeps wandering around the "
        "minimum; a decaying one takes big steps first and then settles. Here t counts epochs: 1/(1 + decay·epoch), "
        "0.95^epoch, k/√epoch and a staircase.",
        "formulas": ["α/(1 + decay·epoch)", "α·0.95^epoch", "α·k/√(epoch + 1)", "α·γ^⌊epoch/s⌋"],
        "kind": "trajectories",
        "request": {
            "surface": "linear_regression",
            "start": [0.0, -4.0],
            "steps": 1200,
            "seed": 1,
            "runs": [
                _run("gd", "constant", lr=0.02, batch_size=16),
                _run("gd", "1/(1 + 0.5·epoch)", lr=0.02, batch_size=16,
                     schedule={"name": "inverse_time", "params": {"decay_rate": 0.5}, "per": "epoch"}),
                _run("gd", "0.95^epoch", lr=0.02, batch_size=16,
                     schedule={"name": "exponential", "params": {"gamma": 0.95}, "per": "epoch"}),
                _run("gd", "k/√epoch", lr=0.02, batch_size=16,
                     schedule={"name": "inverse_sqrt", "params": {"k": 1.0}, "per": "epoch"}),
                _run("gd", "staircase", lr=0.02, batch_size=16,
                     schedule={"name": "step", "params": {"step_size": 5, "gamma": 0.5}, "per": "epoch"}),
            ],
        },
    },
    {
        "id": "warmup-cyclic-restarts",
        "title": "Warm-up, cyclic rates and warm restarts",
        "explanation": "Warm-up ramps the rate up linearly so that the first, badly-scaled steps stay small. Cyclic "
        "rates bounce between a low and a high rate; warm restarts decay along a cosine and jump back up. Look at "
        "the learning-rate chart, then at how each path moves on Rastrigin's bumps.",
        "formulas": ["α·(t + 1)/W for t < W", "α + (max − α)·triangle(t)", "η_min + (α − η_min)(1 + cos(πT_cur/T_i))/2"],
        "kind": "trajectories",
        "request": {
            "surface": "rastrigin",
            "start": [-2.7, 2.3],
            "steps": 400,
            "runs": [
                _run("momentum", "constant", lr=0.01, beta=0.9),
                _run("momentum", "warm-up 50 + cosine", lr=0.02, beta=0.9,
                     schedule={"name": "cosine", "params": {"t_max": 350}, "warmup_steps": 50}),
                _run("momentum", "cyclic", lr=0.002, beta=0.9,
                     schedule={"name": "cyclic", "params": {"max_lr": 0.03, "step_size_up": 50, "mode": "triangular"}}),
                _run("momentum", "warm restarts", lr=0.03, beta=0.9,
                     schedule={"name": "cosine_restarts", "params": {"t_0": 50, "t_mult": 2}}),
            ],
        },
    },
    {
        "id": "saddle-plateau",
        "title": "Saddle points and plateaus",
        "explanation": "Started next to the saddle's stable direction, gradient descent slides into the saddle and "
        "stalls there, because the gradient along the escape direction is tiny. RMSprop and Adam divide by that "
        "tiny gradient's size and leave quickly; momentum builds up speed. (The plateau surface shows the same "
        "thing: open it in the studio.)",
        "formulas": ["f = x⁴/4 − x²/2 + y²/2", "∇f(0, 0) = 0, Hessian = diag(−1, 1)"],
        "kind": "trajectories",
        "request": {
            "surface": "saddle",
            "start": [0.001, 1.8],
            "steps": 300,
            "runs": [
                _run("gd", "GD", lr=0.01),
                _run("momentum", "momentum", lr=0.01, beta=0.9, variant="classic"),
                _run("rmsprop", "RMSprop", lr=0.02),
                _run("adam", "Adam", lr=0.02),
            ],
        },
    },
    {
        "id": "adagrad-dies",
        "title": "AdaGrad's learning rate dies early; RMSprop fixes it",
        "explanation": "AdaGrad divides by the root of the sum of all squared gradients so far: the sum only grows, "
        "so the effective rate keeps shrinking and the run slows to a crawl long before the minimum. RMSprop "
        "replaces the sum with a moving average, which forgets old gradients and keeps the rate alive.",
        "formulas": ["AdaGrad: s ← s + g²", "RMSprop: s ← βs + (1−β)g²", "θ ← θ − α·g/(√s + ε)"],
        "kind": "trajectories",
        "request": {
            "surface": "rosenbrock",
            "start": [-1.2, 1.0],
            "steps": 1500,
            "runs": [
                _run("adagrad", "AdaGrad", lr=0.1),
                _run("rmsprop", "RMSprop", lr=0.002, beta=0.9),
            ],
        },
    },
    {
        "id": "nesterov",
        "title": "Nesterov vs classical momentum",
        "explanation": "Classical momentum computes the gradient where it stands, then adds the velocity. Nesterov "
        "momentum corrects with the gradient where the velocity is about to take it, so it overshoots less and "
        "turns sooner in Rosenbrock's curved valley. Compare the two paths and their loss curves.",
        "formulas": ["v ← βv + g,  θ ← θ − α(g + βv)  (torch's Nesterov)", "v ← βv + g,  θ ← θ − α·v  (classical)"],
        "kind": "trajectories",
        "request": {
            "surface": "rosenbrock",
            "start": [-1.2, 1.0],
            "steps": 600,
            "runs": [
                _run("momentum", "classical momentum", lr=0.0008, beta=0.95, variant="classic"),
                _run("nesterov", "Nesterov", lr=0.0008, beta=0.95),
            ],
        },
    },
    {
        "id": "batch-size-lr",
        "title": "Batch size and learning rate together",
        "explanation": "A sweep over learning rate × batch size on linear regression: each cell is a whole run, "
        "coloured by its final loss. Larger batches give less noisy gradients and tolerate larger rates — the "
        "linear scaling rule says: multiply the batch by k, multiply the rate by k (until the rate becomes "
        "unstable). The diagonal band of good cells shows it.",
        "formulas": ["α ∝ batch size (linear scaling rule)"],
        "kind": "sweep",
        "request": {
            "surface": "linear_regression",
            "start": [0.0, -4.0],
            "steps": 300,
            "seed": 0,
            "optimizer": "gd",
            "params": {},
            "x_param": {"name": "lr", "min": 0.0005, "max": 0.05, "n": 25, "scale": "log"},
            "y_param": {"name": "batch_size", "values": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]},
        },
    },
]
