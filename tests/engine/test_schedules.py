"""Schedules: closed forms checked by hand at chosen steps, warm-up, epochs."""

import ast
import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.engine.schedules import COPY, Counterpart, learning_rates
from app.registry import SCHEDULES

BASE = 0.1


def lr(name: str, params: dict, t, warmup: int = 0):
    spec = SCHEDULES[name]
    return learning_rates(spec, spec.resolve(params, "schedule"), BASE, np.asarray(t), warmup)


CASES = {
    "constant": ({}, [0, 7, 1000], lambda t: BASE),
    "step": ({"step_size": 10, "gamma": 0.5}, [0, 9, 10, 19, 20, 35], lambda t: BASE * 0.5 ** (t // 10)),
    "multistep": (
        {"milestones": [3, 7], "gamma": 0.1},
        [0, 2, 3, 6, 7, 100],
        lambda t: BASE * 0.1 ** ((t >= 3) + (t >= 7)),
    ),
    "exponential": ({"gamma": 0.95}, [0, 1, 2, 50], lambda t: BASE * 0.95**t),
    "inverse_time": ({"decay_rate": 0.5}, [0, 1, 4], lambda t: BASE / (1 + 0.5 * t)),
    "inverse_sqrt": ({"k": 2.0}, [0, 3, 99], lambda t: BASE * 2.0 / math.sqrt(t + 1)),
    "polynomial": ({"total_steps": 10, "power": 2.0}, [0, 5, 10, 20], lambda t: BASE * (1 - min(t, 10) / 10) ** 2),
    "cosine": (
        {"t_max": 100, "eta_min": 0.01},
        [0, 50, 100],
        lambda t: 0.01 + (BASE - 0.01) * (1 + math.cos(math.pi * t / 100)) / 2,
    ),
    "cosine_restarts": ({"t_0": 10, "t_mult": 1, "eta_min": 0.0}, [0, 5, 9, 10, 15], None),
    "cyclic": ({"max_lr": 1.0, "step_size_up": 10, "mode": "triangular"}, [0, 5, 10, 15, 20, 25], None),
    # T = 10, p = 0.3: up from α/25 over t = 0..2, down to α/25/10⁴ over t = 2..9, then flat
    "one_cycle": (
        {"total_steps": 10, "anneal_strategy": "linear"},
        [0, 1, 2, 4, 9, 20],
        lambda t: (
            BASE / 25 + (BASE - BASE / 25) * t / 2 if t <= 2 else BASE + (BASE / 25e4 - BASE) * (min(t, 9) - 2) / 7
        ),
    ),
    "linear": (
        {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4},
        [0, 1, 4, 9],
        lambda t: BASE * (0.25 + 0.75 * min(t, 4) / 4),
    ),
    "constant_factor": ({"factor": 0.5, "total_iters": 3}, [0, 2, 3, 10], lambda t: BASE * (0.5 if t < 3 else 1.0)),
    "reduce_on_plateau": ({}, [0, 5, 100], lambda t: BASE),  # its starting rate; it reads the loss (test_feedback)
}


def test_every_schedule_is_checked() -> None:
    assert set(CASES) == set(SCHEDULES)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[2] is not None])
def test_closed_form(name: str) -> None:
    params, ts, fn = CASES[name]
    np.testing.assert_allclose(lr(name, params, ts), [fn(t) for t in ts], rtol=1e-13)


def test_one_cycle_cosine_three_phase_and_rows() -> None:
    """Three phases (T = 20, p = 0.25): α/10 → α over t = 0..4, back to α/10 over 4..8, then down
    to α/10/100 at t = 19; cosine pieces; one row per base rate."""
    params = {"total_steps": 20, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": True}

    def cos(a: float, b: float, pct: float) -> float:
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)

    want = [
        cos(BASE / 10, BASE, 2 / 4),
        BASE,
        cos(BASE, BASE / 10, 2 / 4),
        BASE / 10,
        cos(BASE / 10, BASE / 1000, 5 / 11),
        BASE / 1000,
        BASE / 1000,
    ]
    ts = [2, 4, 6, 8, 13, 19, 40]
    np.testing.assert_allclose(lr("one_cycle", params, ts), want, rtol=1e-13)
    spec = SCHEDULES["one_cycle"]
    rows = learning_rates(spec, spec.resolve(params, "schedule"), np.array([[BASE], [2 * BASE]]), np.array(ts))
    np.testing.assert_allclose(rows, [want, [2 * w for w in want]], rtol=1e-13)


def test_cosine_restarts_boundaries_t_mult_1_and_2() -> None:
    got = lr("cosine_restarts", {"t_0": 10, "t_mult": 1}, [0, 5, 9, 10, 15, 20])
    want = [BASE * (1 + math.cos(math.pi * c / 10)) / 2 for c in (0, 5, 9, 0, 5, 0)]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    # t_mult = 2: cycles of 10, 20, 40 start at t = 0, 10, 30, 70
    ts = [0, 9, 10, 29, 30, 69, 70, 71]
    cur_len = [(0, 10), (9, 10), (0, 20), (19, 20), (0, 40), (39, 40), (0, 80), (1, 80)]
    got = lr("cosine_restarts", {"t_0": 10, "t_mult": 2}, ts)
    want = [BASE * (1 + math.cos(math.pi * c / n)) / 2 for c, n in cur_len]
    np.testing.assert_allclose(got, want, rtol=1e-13)


def _torch_cyclic(t: int, base: float, max_lr: float, up: int, mode: str, gamma: float) -> float:
    """torch.optim.lr_scheduler.CyclicLR.get_lr, written out (step_size_down = up)."""
    total = 2.0 * up
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = x / 0.5 if x <= 0.5 else (x - 1) / (0.5 - 1)
    height = (max_lr - base) * scale
    if mode == "triangular":
        return base + height
    if mode == "triangular2":
        return base + height * (1 / (2.0 ** (cycle - 1)))
    return base + height * gamma**t


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_modes_match_torch_formula(mode: str) -> None:
    ts = list(range(0, 70, 3))
    got = lr("cyclic", {"max_lr": 1.0, "step_size_up": 10, "mode": mode, "gamma": 0.99}, ts)
    np.testing.assert_allclose(got, [_torch_cyclic(t, BASE, 1.0, 10, mode, 0.99) for t in ts], rtol=1e-12)


def test_warmup_ramps_then_runs_the_schedule_from_zero() -> None:
    got = lr("exponential", {"gamma": 0.5}, [0, 1, 3, 4, 5, 6], warmup=4)
    want = [BASE * 1 / 4, BASE * 2 / 4, BASE * 4 / 4, BASE, BASE * 0.5, BASE * 0.25]
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_epoch_schedule_on_a_dataset_surface() -> None:
    body = {
        "surface": "linear_regression",
        "steps": 40,
        "runs": [
            {
                "optimizer": "gd",
                "params": {"lr": 0.001},
                "batch_size": 100,  # m = 1000: 10 updates per epoch
                "schedule": {"name": "exponential", "params": {"gamma": 0.5}, "per": "epoch"},
            }
        ],
    }
    run = trajectories(build_problem(TrajectoryRequest.model_validate(body)))["runs"][0]
    lrs = np.array(run["lr"])
    assert np.all(lrs[:10] == 0.001) and np.all(lrs[10:20] == 0.0005) and np.all(lrs[30:40] == 0.000125)


def test_milestones_must_increase() -> None:
    with pytest.raises(ValueError, match="increasing"):
        SCHEDULES["multistep"].resolve({"milestones": [5, 3]}, "schedule")


# --- one declaration per schedule: what each consumer derives from it ------------------------------

APP = Path(__file__).resolve().parents[2] / "app"
CONSUMERS = [  # the modules that act on schedules: none may list schedule ids by hand
    str(APP / "engine/feedback.py"),
    str(APP / "engine/runner.py"),
    str(APP / "export/__init__.py"),
    *(str(p) for p in sorted((APP / "export/templates").glob("*.py"))),
]


def _derived(sid: str) -> dict[str, str]:
    """What the engine, the PyTorch script and the optax script take from the schedule's declaration."""
    spec = SCHEDULES[sid]
    engine = spec.rule.__name__ if spec.rule is not None else spec.fn.__name__
    torch = (
        "no scheduler"
        if spec.torch is None
        else f"copy {engine}"
        if spec.torch == COPY
        else f"lr_scheduler.{spec.torch.name}"
    )
    optax = f"copy {engine}" if spec.optax == COPY else f"optax.{spec.optax.name}"
    return {"engine": engine, "torch": torch, "optax": optax}


DERIVED = {
    "constant": {"engine": "constant", "torch": "no scheduler", "optax": "copy constant"},
    "step": {"engine": "step", "torch": "lr_scheduler.StepLR", "optax": "copy step"},
    "multistep": {
        "engine": "multistep",
        "torch": "lr_scheduler.MultiStepLR",
        "optax": "optax.piecewise_constant_schedule",
    },
    "exponential": {"engine": "exponential", "torch": "lr_scheduler.ExponentialLR", "optax": "copy exponential"},
    "inverse_time": {"engine": "inverse_time", "torch": "copy inverse_time", "optax": "copy inverse_time"},
    "inverse_sqrt": {"engine": "inverse_sqrt", "torch": "copy inverse_sqrt", "optax": "copy inverse_sqrt"},
    "polynomial": {"engine": "polynomial", "torch": "lr_scheduler.PolynomialLR", "optax": "copy polynomial"},
    "cosine": {"engine": "cosine", "torch": "lr_scheduler.CosineAnnealingLR", "optax": "copy cosine"},
    "cosine_restarts": {
        "engine": "cosine_restarts",
        "torch": "lr_scheduler.CosineAnnealingWarmRestarts",
        "optax": "copy cosine_restarts",
    },
    "cyclic": {"engine": "cyclic", "torch": "lr_scheduler.CyclicLR", "optax": "copy cyclic"},
    "one_cycle": {"engine": "one_cycle", "torch": "lr_scheduler.OneCycleLR", "optax": "copy one_cycle"},
    "linear": {"engine": "linear", "torch": "lr_scheduler.LinearLR", "optax": "copy linear"},
    "constant_factor": {
        "engine": "constant_factor",
        "torch": "lr_scheduler.ConstantLR",
        "optax": "copy constant_factor",
    },
    "reduce_on_plateau": {"engine": "Plateau", "torch": "lr_scheduler.ReduceLROnPlateau", "optax": "copy Plateau"},
}


def test_each_schedule_is_one_declaration() -> None:
    """The registry is the declarations, in their order; each names its engine function (or rule),
    its torch form and its optax form, and the scripts use exactly those."""
    assert {sid: _derived(sid) for sid in SCHEDULES} == DERIVED
    assert list(SCHEDULES) == list(DERIVED)


@pytest.mark.parametrize("sid", list(DERIVED))
def test_the_declaration_is_read_from_the_function(sid: str) -> None:
    """A schedule's id is its function's name and its catalogue texts begin the function's
    docstring, ``Name: formula`` then the description: written once, where the code is."""
    spec = SCHEDULES[sid]
    engine = spec.rule or spec.fn
    assert spec.rule is not None or sid == engine.__name__
    doc = inspect.cleandoc(inspect.getdoc(engine))
    description = " ".join(doc.split("\n\n")[1].split("\n"))
    assert doc.startswith(f"{spec.name}: {spec.formula}\n\n") and description == spec.description


def test_a_counterpart_names_the_parameters_it_shares_once() -> None:
    """Where the library's argument has the schedule parameter's name, the name is written once;
    the arguments keep the order written (the exported call's order)."""
    cyclic = SCHEDULES["cyclic"].torch
    assert cyclic == Counterpart.of(
        "CyclicLR", ("base_lr", cyclic.args[0][1]), "max_lr", "step_size_up", "mode", "gamma", **dict(cyclic.args[-1:])
    )
    params = SCHEDULES["cyclic"].resolve({}, "schedule")
    assert list(cyclic.arguments(params, 0.01)) == [
        "base_lr",
        "max_lr",
        "step_size_up",
        "mode",
        "gamma",
        "cycle_momentum",
    ]
    assert cyclic.arguments(params, 0.01)["max_lr"] == params["max_lr"]
    assert SCHEDULES["polynomial"].torch.args == (("total_iters", "total_steps"), ("power", "power"))


@pytest.mark.parametrize("sid", list(DERIVED))
def test_the_scripts_are_derived_from_the_declaration(client, sid: str) -> None:
    """The exported scripts build each schedule as declared: the library's constructor with the
    schedule's own parameters, or the engine's own source of the function, copied and called."""
    spec = SCHEDULES[sid]
    body = {
        "surface": "round_bowl",
        "steps": 20,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.001}, "schedule": {"name": sid}}],
    }
    ex = client.post("/api/v1/export", json=body).json()
    params = spec.resolve({}, "schedule")
    for lib, script in (("torch", ex["torch"]), ("optax", ex["optax"])):
        form = getattr(spec, lib)
        if form is None:
            assert "lambda opt: None" in script
        elif form == COPY:
            engine = spec.rule or spec.fn
            lines = inspect.getsource(engine).splitlines()
            doc = ast.parse(inspect.getsource(engine)).body[0].body[0]
            own = lines[next(i for i, line in enumerate(lines) if line.startswith(("def ", "class "))) : doc.lineno - 1]
            for code in (own, lines[doc.end_lineno :]):  # the engine's own code, around its docstring
                assert "\n".join(code) in script
            assert f"{spec.name}: {spec.formula}" not in script  # without the catalogue's texts
            assert re.search(rf"\b{engine.__name__}[(,]", script.split("RUNS = [")[1])  # and the run calls it
        else:
            prefix = "L." if lib == "torch" else "optax."
            call = f"{prefix}{form.name}("
            assert call in script, script
            for name, value in form.arguments(params, 0.001).items():
                assert f"{name}={value!r}" in script


def test_copied_torch_schedules_are_factors_of_the_rate() -> None:
    """torch's LambdaLR multiplies the run's lr by the copied function at base 1: only right for a
    schedule proportional to its base (each torch COPY)."""
    t = np.arange(0, 500, 7)
    for spec in SCHEDULES.values():
        if spec.torch == COPY:
            params = spec.resolve({}, "schedule")
            np.testing.assert_allclose(spec.fn(t, 0.3, **params), 0.3 * spec.fn(t, 1.0, **params), rtol=1e-15)


def _hand_listed(path: str) -> list[str]:
    """Schedule ids a module lists or compares by hand: a dict, set, list or tuple literal with two or
    more of them, or a comparison of an id with one."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    ids = set(SCHEDULES)

    def named(nodes) -> list[str]:
        return [n.value for n in nodes if isinstance(n, ast.Constant) and n.value in ids]

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(named(node.keys)) >= 2:
            found.append(f"{path}:{node.lineno} table {named(node.keys)}")
        elif isinstance(node, ast.Set | ast.List | ast.Tuple) and len(named(node.elts)) >= 2:
            found.append(f"{path}:{node.lineno} list {named(node.elts)}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            about_ids = any(
                (isinstance(s, ast.Attribute) and s.attr == "id") or (isinstance(s, ast.Name) and "sid" in s.id)
                for s in sides
            )
            if about_ids and named(sides):
                found.append(f"{path}:{node.lineno} compares with {named(sides)}")
    return found


def test_no_consumer_hand_lists_schedule_ids() -> None:
    found = [hit for path in CONSUMERS for hit in _hand_listed(path)]
    assert found == [], found


def test_the_hand_list_check_can_fail(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('T = {"step": 1, "cosine": 2}\nif spec.id == "one_cycle":\n    pass\n', encoding="utf-8")
    assert len(_hand_listed(str(bad))) == 2
