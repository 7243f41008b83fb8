"""Each lesson's claim as data: a small function of its own API answer.

``measure_with(lesson_id, answer)`` runs the lesson's request through ``answer`` — the service
layer passes the endpoints' own code (`app.api.service_lessons`), so the answer is exactly that of
``POST /api/v1/trajectories`` (or ``/sweeps``, ``/ewa``) — and its claim function turns the answer
into ``{"holds": bool, "figures": {...}}``. The words live in the catalogue (``claim.<id>``, with
the figures as placeholders), so the page can say "momentum β = 0.5: 20 steps, GD: 68" in either
language (`worded`).

Answers are deterministic, so claims are measured once: ``python -m tools.lesson_claims`` stores
them in ``data/claims.json`` with a fingerprint of each lesson's requests, `stored` gives the
stored figures while the fingerprint matches, and the tests re-measure every lesson from its
public API answer and compare. This module runs nothing itself: it knows no layer above it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import text
from ..registry import SURFACES
from .scenarios import (
    ADAM_B1,
    ADAM_B2,
    BY_ID,
    RAW_CONDITION,
    STANDARDIZED_CONDITION,
    SWITCH_EARLY,
    SWITCH_EPOCH,
    SWITCH_PER_EPOCH,
    Lesson,
)

STORE = Path(__file__).resolve().parent / "data" / "claims.json"
Answer = dict[str, Any]
Figures = dict[str, Any]


def steps_to_fraction(loss: list[float], fraction: float, floor: float = 0.0) -> int | None:
    """First iteration whose loss − floor is at most fraction·(loss₀ − floor); None if never."""
    target = floor + fraction * (loss[0] - floor)
    for t, v in enumerate(loss):
        if v <= target:
            return t
    return None


def step_lengths(run: dict[str, Any]) -> np.ndarray:
    lengths: np.ndarray = np.hypot(np.diff(run["x"]), np.diff(run["y"]))
    return lengths


def sign_changes(values: list[float], n: int) -> int:
    v = np.sign(np.asarray(values[: n + 1]))
    return int(np.sum(v[1:] * v[:-1] < 0))


def _never(v: int | None, steps: int) -> int:
    return v if v is not None else steps + 1


# --- the claims ---------------------------------------------------------------------------------


def ewa_bias(ans: Answer, lesson: Lesson) -> Figures:
    """The window is 1/(1 − β); without bias correction the average starts (1 − β) times the first
    value and stays more than 5% too low for about ln 0.05 / ln β days; corrected, it starts at θ₁."""
    theta1 = ans["series"][0]
    f: Figures = {}
    ok = True
    for a in ans["averages"]:
        tag = str(round(a["beta"] * 100))
        v, c = np.asarray(a["values"]), np.asarray(a["corrected"])
        low = np.abs(v - c) > 0.05 * np.abs(c)
        days = int(np.argmin(low)) if not low.all() else len(v)
        f[f"window_{tag}"] = a["window"]
        f[f"first_ratio_{tag}"] = float(v[0] / theta1)
        f[f"days_{tag}"] = days
        ok &= abs(c[0] - theta1) < 1e-9 * abs(theta1) and abs(v[0] / theta1 - (1 - a["beta"])) < 1e-12
        ok &= abs(days - math.log(0.05) / math.log(a["beta"])) <= 1
    return {"holds": ok, "figures": f}


def batch_noise(ans: Answer, lesson: Lesson) -> Figures:
    """Mini-batch cost noise grows as the batch shrinks: batch < 512 < 64 < 1 (mean |J_batch − J| / J)."""
    noise = []
    for r in ans["runs"]:
        b, j = np.asarray(r["batch_loss"]), np.asarray(r["loss"][:-1])
        noise.append(float(np.mean(np.abs(b - j) / j)))
    per_epoch = [math.ceil(1000 / r["batch_size"]) for r in ans["runs"]]
    return {
        "holds": all(a < b for a, b in pairwise(noise)) and noise[0] < 1e-12,
        "figures": {
            "noise_batch": noise[0],
            "noise_512": noise[1],
            "noise_64": noise[2],
            "noise_1": noise[3],
            "updates_batch": per_epoch[0],
            "updates_512": per_epoch[1],
            "updates_64": per_epoch[2],
            "updates_1": per_epoch[3],
        },
    }


def momentum_faster(ans: Answer, lesson: Lesson) -> Figures:
    """Momentum (β = 0.5) reaches 10⁻⁶·f₀ in fewer steps than GD; the two forms' paths coincide;
    β = 0.9 overshoots and is slower here."""
    gd, ewa, classic, _heavy = ans["runs"]
    steps = lesson.request["steps"]
    s = [_never(steps_to_fraction(r["loss"], 1e-6), steps) for r in ans["runs"]]
    gap = float(
        max(np.max(np.abs(np.subtract(ewa["x"], classic["x"]))), np.max(np.abs(np.subtract(ewa["y"], classic["y"]))))
    )
    return {
        "holds": s[1] < s[0] and gap < 1e-9 and s[3] > s[1],
        "figures": {
            "momentum_steps": s[1],
            "gd_steps": s[0],
            "heavy_steps": s[3],
            "gap": gap,
            "zigzag_gd": sign_changes(gd["y"], 20),
            "zigzag_momentum": sign_changes(ewa["y"], 20),
        },
    }


def nesterov_faster(ans: Answer, lesson: Lesson) -> Figures:
    steps = lesson.request["steps"]
    s = [_never(steps_to_fraction(r["loss"], 1e-6), steps) for r in ans["runs"]]
    return {"holds": s[1] < s[0], "figures": {"nesterov_steps": s[1], "classic_steps": s[0]}}


def rmsprop_no_zigzag(ans: Answer, lesson: Lesson) -> Figures:
    """RMSprop stops the zig-zag and arrives sooner than GD; near the minimum its steps keep a size
    of about α (g/√s stays near ±1 as g and s shrink together), so its loss falls far, then climbs
    back; the same with α decayed along a cosine settles below both."""
    steps = lesson.request["steps"]
    gd, rms, cos = ans["runs"]
    s = [_never(steps_to_fraction(r["loss"], 1e-6), steps) for r in ans["runs"]]
    z = [sign_changes(r["y"], 30) for r in ans["runs"]]
    low = int(np.argmin(rms["loss"]))
    last_step = float(step_lengths(rms)[-10:].mean())
    alpha = lesson.request["runs"][1]["params"]["lr"]
    return {
        "holds": z[1] < z[0]
        and s[1] < s[0]
        and s[2] < s[0]
        and rms["loss"][-1] > 1e6 * rms["loss"][low]  # the climb back
        and last_step > alpha / 10  # steps of the scale of α, not of the gradient
        and cos["loss"][-1] < min(gd["loss"][-1], rms["loss"][-1]),
        "figures": {
            "gd_zigzag": z[0],
            "rmsprop_zigzag": z[1],
            "gd_steps": s[0],
            "rmsprop_steps": s[1],
            "cosine_steps": s[2],
            "rmsprop_min": rms["loss"][low],
            "rmsprop_min_step": low,
            "rmsprop_loss": rms["loss"][-1],
            "rmsprop_last_step": last_step,
            "alpha": alpha,
            "gd_loss": gd["loss"][-1],
            "cosine_loss": cos["loss"][-1],
        },
    }


def adam_first_steps(ans: Answer, lesson: Lesson) -> Figures:
    """Without bias correction the first steps are LONGER: step 1 by (1−β₁)/√(1−β₂) ≈ 3.16."""
    with_c, without = (step_lengths(r)[:10] for r in ans["runs"])
    ratio = without / with_c
    predicted = (1 - ADAM_B1) / math.sqrt(1 - ADAM_B2)
    return {
        "holds": bool(np.all(ratio > 1.0)) and abs(ratio[0] - predicted) < 1e-6 * predicted,
        "figures": {
            "first_ratio": float(ratio[0]),
            "predicted": predicted,
            "min_ratio": float(ratio.min()),
            "max_ratio": float(ratio.max()),
        },
    }


def adagrad_dies(ans: Answer, lesson: Lesson) -> Figures:
    ada, rms = ans["runs"]
    la, lr_ = step_lengths(ada), step_lengths(rms)
    shrink_ada = float(np.mean(la[-100:]) / np.mean(la[:50]))
    shrink_rms = float(np.mean(lr_[-100:]) / np.mean(lr_[:50]))
    return {
        "holds": shrink_ada < 0.25 and shrink_rms > 0.5 and rms["loss"][-1] < ada["loss"][-1] / 5,
        "figures": {
            "adagrad_shrink": shrink_ada,
            "rmsprop_shrink": shrink_rms,
            "adagrad_loss": ada["loss"][-1],
            "rmsprop_loss": rms["loss"][-1],
        },
    }


def decay_settles(ans: Answer, lesson: Lesson) -> Figures:
    """Every decayed rate ends closer to the minimum than the constant one (mean distance over the
    last fifth of the path)."""
    mx, my = SURFACES[lesson.request["surface"]].minima[0]
    d = []
    for r in ans["runs"]:
        x, y = np.asarray(r["x"]), np.asarray(r["y"])
        k = len(x) - len(x) // 5
        d.append(float(np.mean(np.hypot(x[k:] - mx, y[k:] - my))))
    return {
        "holds": all(v < d[0] for v in d[1:]),
        "figures": {
            "constant": d[0],
            "inverse_time": d[1],
            "exponential": d[2],
            "inverse_sqrt": d[3],
            "staircase": d[4],
            "best_factor": d[0] / min(d[1:]),
        },
    }


def restarts_better(ans: Answer, lesson: Lesson) -> Figures:
    L = [r["loss"][-1] for r in ans["runs"]]
    return {
        "holds": L[4] < min(L[0], L[1]) and L[2] < min(L[0], L[1]) and L[3] < min(L[0], L[1]),
        "figures": {"constant_low": L[0], "constant_high": L[1], "warmup": L[2], "cyclic": L[3], "restarts": L[4]},
    }


def saddle_escape(ans: Answer, lesson: Lesson) -> Figures:
    gd = ans["runs"][0]
    # a minimum (loss −0.25 at (±1, 0)) is reached when the loss drops below −0.24; the saddle's is 0
    esc = [next((t for t, v in enumerate(r["loss"]) if v < -0.24), None) for r in ans["runs"][1:]]
    dist = float(math.hypot(gd["x"][-1], gd["y"][-1]))
    return {
        "holds": dist < 0.15 and all(e is not None for e in esc),
        "figures": {
            "gd_distance": dist,
            "steps": lesson.request["steps"],
            "momentum_steps": esc[0],
            "rmsprop_steps": esc[1],
            "adam_steps": esc[2],
        },
    }


def plateau_cross(ans: Answer, lesson: Lesson) -> Figures:
    steps = lesson.request["steps"]
    cross = [next((t for t, v in enumerate(r["loss"]) if v < 0.01), None) for r in ans["runs"]]
    return {
        "holds": cross[0] is None and cross[1] is None and cross[2] is not None and cross[3] is not None,
        "figures": {
            "steps": steps,
            "gd_loss": ans["runs"][0]["loss"][-1],
            "momentum_loss": ans["runs"][1]["loss"][-1],
            "rmsprop_steps": cross[2],
            "adam_steps": cross[3],
        },
    }


def normalization(ans: Answer, lesson: Lesson, compare: Answer) -> Figures:
    raw, std = ans["runs"][0], compare["runs"][0]
    return {
        "holds": std["status"] == "converged" and std["steps_taken"] * 10 < raw["steps_taken"],
        "figures": {
            "raw_steps": raw["steps_taken"],
            "std_steps": std["steps_taken"],
            "raw_condition": RAW_CONDITION,
            "std_condition": STANDARDIZED_CONDITION,
        },
    }


def linear_scaling(ans: Answer, lesson: Lesson) -> Figures:
    epochs = lesson.epochs or 1
    at = []
    for r in ans["runs"]:
        i = epochs * math.ceil(1000 / r["batch_size"])
        at.append(r["loss"][i])
    close = abs(at[0] - at[1]) / at[0]
    return {
        "holds": close < 0.05 and at[2] > 1.5 * max(at[0], at[1]),
        "figures": {
            "epochs": epochs,
            "small": at[0],
            "scaled": at[1],
            "unscaled": at[2],
            "difference_pct": 100 * close,
        },
    }


def best_lr_grows(ans: Answer, lesson: Lesson) -> Figures:
    """The best learning rate (lowest loss after the same number of epochs) grows with the batch size."""
    best = []
    for row in ans["final_loss"]:
        vals = [v if v is not None else math.inf for v in row]
        best.append(ans["x_values"][int(np.argmin(vals))])
    sizes = [int(b) for b in ans["y_values"]]
    grows = all(b2 >= b1 for b1, b2 in pairwise(best))
    return {
        "holds": grows and best[-1] >= 10 * best[0],
        "figures": {
            "sizes": sizes,
            "best_lrs": best,
            "smallest_lr": best[0],
            "largest_lr": best[-1],
            "smallest_batch": sizes[0],
            "largest_batch": sizes[-1],
            "factor": best[-1] / best[0],
        },
    }


# --- the network lessons: figures from the answer of POST /api/v1/networks ------------------------


def _percent(v: float | None) -> float:
    return 100.0 * v if v is not None else math.nan


def _updates(ans: Answer, lesson: Lesson) -> int:
    """Updates per run (every run of a network lesson has the same batch size)."""
    steps = {int(r["steps_taken"]) for r in ans["runs"]}
    assert len(steps) == 1, steps
    return steps.pop()


def first_epoch_at(accuracy: list[float | None], level: float) -> int | None:
    """The first epoch whose accuracy is at least ``level``; None if never."""
    return next((e for e, v in enumerate(accuracy) if v is not None and v >= level), None)


def assignment_adam(ans: Answer, lesson: Lesson) -> Figures:
    """At the course's small rate, Adam is far ahead in train accuracy (at least 5 points above both,
    at least 85 %, with less than half their loss) while momentum (β = 0.9, the course's averaging
    form) stays within a point of plain GD: it averages the same small steps. Also: the epoch Adam
    first reached GD's final train accuracy."""
    gd, adam = ans["runs"][0], ans["runs"][2]
    acc = [_percent(r["train_accuracy"][-1]) for r in ans["runs"]]
    test = [_percent(r["test_accuracy"][-1]) for r in ans["runs"]]
    loss = [r["train_loss"][-1] for r in ans["runs"]]
    caught = first_epoch_at(adam["train_accuracy"], gd["train_accuracy"][-1])
    epochs = len(adam["train_accuracy"]) - 1
    return {
        "holds": acc[2] >= 85.0
        and acc[2] - max(acc[0], acc[1]) >= 5.0
        and abs(acc[1] - acc[0]) <= 1.0
        and loss[2] < 0.5 * min(loss[0], loss[1])
        and caught is not None
        and caught <= epochs // 2,
        "figures": {
            "epochs": epochs,
            "updates": _updates(ans, lesson),
            "gd_train": acc[0],
            "momentum_train": acc[1],
            "adam_train": acc[2],
            "gd_test": test[0],
            "momentum_test": test[1],
            "adam_test": test[2],
            "gd_loss": loss[0],
            "momentum_loss": loss[1],
            "adam_loss": loss[2],
            "adam_caught_up": caught if caught is not None else epochs + 1,
        },
    }


def _tail(values: list[float | None]) -> np.ndarray:
    """The last fifth of a per-epoch series (epoch 0, the init, aside), as the toy lesson measures;
    a diverged run's missing values count as infinite."""
    v = np.asarray([x if x is not None else math.inf for x in values[1:]], dtype=float)
    return v[len(v) - len(v) // 5 :]


def network_decay(ans: Answer, lesson: Lesson) -> Figures:
    """The toy lesson (decayed rates settle closer to the minimum) fails on the network when the
    decay starts at epoch 0: every early decay is calm (its train loss over the last fifth varies
    less than a tenth of the constant rate's) but ends stuck, at more than twice the constant rate's
    mean train loss; one step down late (the last run) keeps the constant rate's progress (within
    1.5× its loss, below half of every early decay's) and settles (a fifth of its fluctuation)."""
    tails = [_tail(r["train_loss"]) for r in ans["runs"]]
    mean = [float(t.mean()) for t in tails]
    spread = [float(t.std()) for t in tails]
    acc = [_percent(r["train_accuracy"][-1]) for r in ans["runs"]]
    early = range(1, len(tails) - 1)
    late = len(tails) - 1
    return {
        "holds": all(mean[i] > 2 * mean[0] and spread[i] < 0.1 * spread[0] for i in early)
        and mean[late] < 1.5 * mean[0]
        and all(mean[late] < 0.5 * mean[i] for i in early)
        and spread[late] < 0.2 * spread[0],
        "figures": {
            "epochs": len(ans["runs"][0]["train_loss"]) - 1,
            "constant_loss": mean[0],
            "constant_spread": spread[0],
            "constant_accuracy": acc[0],
            "early_loss_min": min(mean[i] for i in early),
            "early_loss_max": max(mean[i] for i in early),
            "early_spread_max": max(spread[i] for i in early),
            "early_accuracy_max": max(acc[i] for i in early),
            "late_loss": mean[late],
            "late_spread": spread[late],
            "late_accuracy": acc[late],
        },
    }


# --- a network lesson over several seeds: figures from its seeds' answer (app.lessons.seeds) ---------


def _at(run: dict[str, Any], series: str, epoch: int, scale: float = 1.0) -> np.ndarray:
    """Every seed's value of ``series`` at ``epoch`` (NaN where a seed has none: diverged)."""
    return np.asarray([scale * v[epoch] if v[epoch] is not None else math.nan for v in run[series]["seeds"]])


def _spread(values: np.ndarray, name: str, *parts: str) -> Figures:
    """``name``: the mean over the seeds; with ``parts`` of "sd" (standard deviation), "lo" and "hi"
    (the lowest and highest seed), ``name_sd`` …"""
    stats = {"sd": float(values.std()), "lo": float(values.min()), "hi": float(values.max())}
    return {name: float(values.mean())} | {f"{name}_{p}": stats[p] for p in parts}


def _same_until(a: dict[str, Any], b: dict[str, Any], series: str) -> int:
    """The last epoch up to which two runs' ``series`` are equal in every seed (bit for bit)."""
    pairs = list(zip(a[series]["seeds"], b[series]["seeds"], strict=True))
    n = 0
    while all(n < len(x) and n < len(y) and x[n] == y[n] for x, y in pairs):
        n += 1
    return n - 1


def adam_momentum(ans: Answer, lesson: Lesson) -> Figures:
    """Adam (run 0), momentum (run 1) and Adam → momentum (run 2, switched at the end of epoch
    `SWITCH_EPOCH`) over the lesson's seeds. Adam's train loss at epoch `SWITCH_EARLY` is lower than
    momentum's in every seed ("Adam is fast"). The switched run is Adam, bit for bit, up to the switch
    in every seed (the same init and batches), and every seed switched there. After the last epoch
    the three means of the test accuracy differ pairwise by less than the seeds' spread (the widest
    lowest-to-highest range of the three): on this task no run ends better than another beyond the
    seeds' noise, so the course's "momentum ends better" does not show. The figures are means with
    standard deviations or lowest-to-highest ranges over the seeds."""
    names = ("adam", "momentum", "switch")
    runs = dict(zip(names, ans["runs"], strict=True))
    epochs, seeds = ans["epochs"], len(ans["seeds"])
    early = {k: _at(r, "train_loss", SWITCH_EARLY) for k, r in runs.items()}
    loss = {k: _at(r, "train_loss", epochs) for k, r in runs.items()}
    test = {k: _at(r, "test_accuracy", epochs, 100.0) for k, r in runs.items()}
    wins = int(np.sum(early["adam"] < early["momentum"]))
    gaps = {(a, b): float(test[b].mean() - test[a].mean()) for a, b in (("adam", "momentum"), ("adam", "switch"))}
    gaps[("momentum", "switch")] = float(test["switch"].mean() - test["momentum"].mean())
    spread = float(max(np.ptp(v) for v in test.values()))
    at = runs["switch"]["optimizers"][1]["milestone"]
    switched = all(s == [at] for s in runs["switch"]["switches"])
    same = _same_until(runs["adam"], runs["switch"], "train_loss")
    # the highest test accuracy any run reached at any epoch in any seed: the ceiling they share
    best = 100.0 * max(v for r in ans["runs"] for s in r["test_accuracy"]["seeds"] for v in s if v is not None)
    figures: Figures = {"seeds": seeds, "epochs": epochs, "early": SWITCH_EARLY, "adam_early_wins": wins}
    for k in ("adam", "momentum"):
        figures |= _spread(early[k], f"{k}_early", "sd")
    for k in names:
        figures |= _spread(loss[k], f"{k}_loss") | _spread(test[k], f"{k}_test", "lo", "hi")
    figures |= {
        "switch_epoch": SWITCH_EPOCH,
        "switch_update": at,
        "same_until": same,
        "test_gap": gaps[("adam", "momentum")],
        "test_spread": spread,
        "momentum_test_wins": int(np.sum(test["momentum"] > test["adam"])),
        "switch_test_wins": int(np.sum(test["switch"] > test["adam"])),
        "best_test": best,
    }
    finite = all(np.isfinite(v).all() for d in (early, loss, test) for v in d.values())
    return {
        "holds": finite
        and wins == seeds
        and switched
        and same == SWITCH_EPOCH
        and all(abs(g) < spread for g in gaps.values()),
        "figures": figures,
    }


def switch_when(ans: Answer, lesson: Lesson) -> Figures:
    """Adam → momentum switched at each epoch of `SWITCH_WHEN` (one run each, every seed switched
    there) over the lesson's seeds. The final test accuracy's means differ by less than the seeds'
    spread (the widest lowest-to-highest range of the runs): when to switch does not change it
    beyond the seeds' noise. The final train loss: the latest switch's is lower than the earliest's
    in every seed (the later the switch, the longer Adam ran)."""
    runs, epochs, seeds = ans["runs"], ans["epochs"], len(ans["seeds"])
    at = [r["optimizers"][1]["milestone"] for r in runs]
    switched = all(s == [a] for r, a in zip(runs, at, strict=True) for s in r["switches"])
    test = [_at(r, "test_accuracy", epochs, 100.0) for r in runs]
    loss = [_at(r, "train_loss", epochs) for r in runs]
    means = [float(v.mean()) for v in test]
    spread = float(max(np.ptp(v) for v in test))
    later_lower = int(np.sum(loss[-1] < loss[0]))
    finite = all(np.isfinite(v).all() for v in (*test, *loss))
    return {
        "holds": finite and switched and max(means) - min(means) < spread and later_lower == seeds,
        "figures": {
            "seeds": seeds,
            "epochs": epochs,
            "first_switch": at[0] // SWITCH_PER_EPOCH,
            "last_switch": at[-1] // SWITCH_PER_EPOCH,
            "switches": len(runs),
            "test_min": min(means),
            "test_max": max(means),
            "test_spread": spread,
            "loss_first": float(loss[0].mean()),
            "loss_last": float(loss[-1].mean()),
            "later_lower": later_lower,
        },
    }


CLAIMS: dict[str, Callable[..., Figures]] = {
    "ewa-bias-correction": ewa_bias,
    "batch-vs-minibatch": batch_noise,
    "momentum-bowl": momentum_faster,
    "nesterov": nesterov_faster,
    "rmsprop": rmsprop_no_zigzag,
    "adam-bias-correction": adam_first_steps,
    "adagrad-dies": adagrad_dies,
    "lr-decay": decay_settles,
    "warmup-cyclic-restarts": restarts_better,
    "saddle-plateau": saddle_escape,
    "plateau": plateau_cross,
    "input-normalization": normalization,
    "linear-scaling": linear_scaling,
    "batch-size-lr": best_lr_grows,
    "network-assignment": assignment_adam,
    "network-lr-decay": network_decay,
    "network-adam-momentum": adam_momentum,
    "network-switch-when": switch_when,
}


# --- measuring, the store and the words ------------------------------------------------------------

# the API's answer to a request of a lesson (``kind``: "trajectories", "sweep", "ewa", "network" or
# "seeds": a network lesson's request over its seeds, `Lesson.seeds_body`), computed
# by the endpoint's own code: the service layer passes it in (app.api.service_lessons)
Answerer = Callable[[dict[str, Any], str], Answer]


def fingerprint(lesson: Lesson) -> str:
    """A digest of everything a claim depends on: the lesson's requests."""
    body = lesson.render("en")
    parts = [body["request"], body.get("compare"), lesson.epochs] + ([list(lesson.seeds)] if lesson.seeds else [])
    text_ = json.dumps(parts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text_.encode()).hexdigest()[:16]


def measure_with(lesson_id: str, answer: Answerer) -> Figures:
    """{"holds", "figures"} of a lesson, measured now from its own answer."""
    lesson = BY_ID[lesson_id]
    body = lesson.render("en")
    # a lesson over seeds: the answer of its request trained once per seed (kind "seeds")
    ans = answer(lesson.seeds_body(), "seeds") if lesson.seeds else answer(body["request"], lesson.kind)
    fn = CLAIMS[lesson_id]
    out = fn(ans, lesson, answer(body["compare"], "trajectories")) if lesson.compare is not None else fn(ans, lesson)
    return {"holds": bool(out["holds"]), "figures": {k: _plain(v) for k, v in out["figures"].items()}}


@lru_cache(maxsize=1)
def _stored() -> dict[str, Any]:
    try:
        stored: dict[str, Any] = json.loads(STORE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return stored


def stored(lesson_id: str) -> Figures | None:
    """The lesson's stored measurement (``data/claims.json``) if it was measured on the lesson's
    current requests, else None. Answers are deterministic, so it equals a fresh measurement
    (the tests check that)."""
    entry = _stored().get(lesson_id)
    if entry and entry.get("fingerprint") == fingerprint(BY_ID[lesson_id]):
        return {"holds": entry["holds"], "figures": entry["figures"]}
    return None


def write_store(measured: dict[str, Figures]) -> None:
    """Store every lesson's measurement with its fingerprint (``python -m tools.lesson_claims``)."""
    out = {lesson_id: {"fingerprint": fingerprint(BY_ID[lesson_id]), **m} for lesson_id, m in measured.items()}
    STORE.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    _stored.cache_clear()


_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def fmt(v: Any) -> str:
    """A figure as the page shows it: 3 significant digits, powers of ten as 10⁻⁸."""
    if isinstance(v, float) and v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        m, e = f"{v:.2e}".split("e")
        return f"{m}·10{str(int(e)).translate(_SUP)}"
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return ", ".join(fmt(x) for x in v)
    return str(v)


def _plain(v: Any) -> Any:
    """Python numbers for JSON (NumPy scalars in, plain ints and floats out)."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def worded(lesson_id: str, measured: Figures, lang: str = "en") -> dict[str, Any]:
    """The claim in words (one language) with its measured figures."""
    return {
        "key": f"claim.{lesson_id}",
        "holds": bool(measured["holds"]),
        "figures": {k: _plain(v) for k, v in measured["figures"].items()},
        "text": text(f"claim.{lesson_id}", lang, **{k: fmt(v) for k, v in measured["figures"].items()}),
    }
