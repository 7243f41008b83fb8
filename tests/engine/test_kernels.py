"""The compiled engine (app.engine.kernels): the same bits as plain Python, everywhere."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem
from app.engine import expression
from app.engine.kernels import loop, nbmath, tape
from app.engine.runner import LockstepRuns, ScalarRun
from app.registry import OPTIMIZER_IDS, OPTIMIZERS

# the element-wise optimizers (the compiled loop, single runs and lanes); L-BFGS and damped Newton
# run in app.engine.closure, single runs only (tests/engine/test_closure.py)
LOOP_IDS = tuple(o for o in OPTIMIZER_IDS if OPTIMIZERS[o].driver == "loop")

F_MIN = {"polyak_sgd": {"f_min": 0.0}}  # typed formulas: the Polyak step size needs f* given
# every optimizer a surface runs: not the matrix ones (driver "matrix": networks only, refused on a
# surface; tests/engine/test_matrix_optimizers.py)
SURFACE_IDS = tuple(o for o in OPTIMIZER_IDS if OPTIMIZERS[o].driver != "matrix")
_HALF = (len(SURFACE_IDS) + 1) // 2
HALVES = (SURFACE_IDS[:_HALF], SURFACE_IDS[_HALF:])  # a request holds at most 16 runs
LOOP_HALVES = (LOOP_IDS[: (len(LOOP_IDS) + 1) // 2], LOOP_IDS[(len(LOOP_IDS) + 1) // 2 :])

REFERENCE = """
import sys, orjson
from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
for body in orjson.loads(sys.argv[1]):
    sys.stdout.buffer.write(orjson.dumps(trajectories(build_problem(TrajectoryRequest.model_validate(body)))) + b"\\n")
"""


def test_compiled_answers_are_the_plain_python_reference_bit_for_bit() -> None:
    """The same functions run uncompiled (NUMBA_DISABLE_JIT) give the same bytes."""
    import orjson

    bodies = [
        *(
            {
                "surface": "ackley",
                "steps": 40,
                "include_state": True,
                "seed": 2,
                "runs": [{"optimizer": o, "noise_std": 0.1} for o in ids],
            }
            for ids in HALVES
        ),
        {
            "surface": "rosenbrock",
            "steps": 40,
            "tolerance": 1e-3,
            "include_state": True,
            "runs": [
                {
                    "optimizer": "adam",
                    "params": {"amsgrad": True},
                    "schedule": {"name": "cosine", "params": {"t_max": 40}},
                },
                {"optimizer": "momentum", "params": {"bias_correction": True}},
            ],
        },
        *(
            {
                "surface": {"expression": "exp(-1/x^2) + log(1 + y^2) + x^y", "x_range": [-3, 3], "y_range": [-3, 3]},
                "start": [0.5, 1.5],
                "steps": 40,
                "runs": [{"optimizer": o, "params": {"lr": 0.2, **F_MIN.get(o, {})}} for o in ids],
            }
            for ids in HALVES
        ),
    ]
    arg = orjson.dumps(bodies).decode()
    out = {}
    for jit in ("0", "1"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": jit}
        out[jit] = subprocess.run(
            [sys.executable, "-c", REFERENCE, arg], env=env, capture_output=True, check=True
        ).stdout
    assert out["0"] == out["1"] and out["0"].count(b"\n") == len(bodies)


def _problem(body: dict):
    return build_problem(TrajectoryRequest.model_validate(body))


@pytest.mark.parametrize("surface", ["rosenbrock", "ackley", "rastrigin", "plateau", "six_hump_camel"])
@pytest.mark.parametrize("opt_id", LOOP_IDS)
def test_lanes_equal_single_runs_exactly(surface: str, opt_id: str) -> None:
    """Rows in lanes (sweeps, basins, races) are the single runs, bit for bit, per-row lr included."""
    lrs = [0.001, 0.01, 0.05, 0.3, 3.0]
    problem = _problem(
        {
            "surface": surface,
            "steps": 150,
            "tolerance": 1e-4,
            "seed": 4,
            "runs": [{"optimizer": opt_id, "noise_std": 0.05}],
        }
    )
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (len(lrs), 1)), {"lr": lrs})
    rows.advance(problem.steps + 1)
    for i, lr in enumerate(lrs):
        one = _problem(
            {
                "surface": surface,
                "steps": 150,
                "tolerance": 1e-4,
                "seed": 4,
                "runs": [{"optimizer": opt_id, "noise_std": 0.05, "params": {"lr": lr}}],
            }
        )
        run = ScalarRun(one, one.runs[0])
        run.advance(one.steps)
        assert rows.result.status[i] == run.traj.status
        assert rows.result.steps_taken[i] == run.traj.steps_taken
        assert (rows.result.x[i], rows.result.y[i], rows.result.loss[i]) == (
            run.traj.x[-1],
            run.traj.y[-1],
            run.traj.loss[-1],
        )


def test_lanes_with_per_row_betas_and_a_schedule_equal_single_runs() -> None:
    betas, lrs = [0.5, 0.8, 0.9, 0.99] * 10, np.geomspace(1e-3, 0.5, 40)
    body = {
        "surface": "rosenbrock",
        "steps": 120,
        "runs": [{"optimizer": "adam", "schedule": {"name": "step", "params": {"step_size": 30}}}],
    }
    problem = _problem(body)
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (40, 1)), {"lr": lrs, "beta1": betas})
    rows.advance(problem.steps)
    for i in (0, 7, 13, 39):
        body["runs"][0]["params"] = {"lr": float(lrs[i]), "beta1": betas[i]}
        one = _problem(body)
        run = ScalarRun(one, one.runs[0])
        run.advance(one.steps)
        assert (rows.result.x[i], rows.result.status[i]) == (run.traj.x[-1], run.traj.status)


def test_hypot_is_cpythons() -> None:
    rng = np.random.default_rng(0)
    pairs = (rng.standard_normal((20000, 2)) * 10.0 ** rng.integers(-310, 300, (20000, 2))).tolist()
    pairs += [
        (0.0, 0.0),
        (3.0, 4.0),
        (-0.0, 5e-324),
        (1e308, 1e308),
        (5e-324, 5e-324),
        (2.2e-308, 1e-310),
        (1.0, 1e-17),
    ]
    for a, b in pairs:
        assert nbmath.hypot(a, b) == math.hypot(a, b), (a, b)
    assert math.isinf(nbmath.hypot(math.inf, math.nan)) and math.isnan(nbmath.hypot(math.nan, 1.0))


def _python(op: str, a: float, b: float) -> float | None:
    """What the formula on Python floats gives (None: it raises, so the run diverges)."""
    fn = {
        "add": expression._op_add,
        "sub": expression._op_sub,
        "mul": expression._op_mul,
        "div": expression._op_div,
        "pow": expression._op_pow,
        "neg": expression._op_neg,
        "square": expression._op_square,
    }.get(op) or expression._CALL_OPS[op]
    from app.engine.backend import SCALAR

    try:
        return fn(a, b, SCALAR)
    except (ArithmeticError, ValueError):
        return None


@pytest.mark.parametrize("op", tape.OPCODES)
def test_every_tape_operation_has_pythons_bits_and_errors(op: str) -> None:
    rng = np.random.default_rng(1)
    values = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 710.0, -745.0, 1e308, -1e-310, math.inf, -math.inf, math.nan]
    values += (rng.standard_normal(60) * 10.0 ** rng.integers(-3, 3, 60)).tolist()
    code = tape.OPCODES.index(op)
    pairs = [(a, b) for a in values for b in values[:20]]
    B = loop.BLOCK
    v = np.zeros(3 * B)
    for i in range(0, len(pairs), B):
        chunk = pairs[i : i + B]
        n = len(chunk)
        v[:n] = [a for a, _ in chunk]
        v[B : B + n] = [b for _, b in chunk]
        err = np.zeros(B, dtype=np.bool_)
        tape.run(np.array([[code, 0, 1]], dtype=np.int64), np.zeros(0), v, False, err, 0, 1)
        for lane, (a, b) in enumerate(chunk):
            want = _python(op, a, b)
            assert err[lane] == (want is None), (op, a, b)
            if want is not None:
                got = v[2 * B + lane]
                assert got == want or (math.isnan(got) and math.isnan(want)), (op, a, b, got, want)


def test_only_whitelisted_operations_reach_the_interpreter() -> None:
    """A tape holds opcodes from a fixed table, slot numbers and constants: nothing else."""
    expr = expression.parse_expression("sin(x)^2 + exp(-y) * sqrt(abs(x)) / (1 + tanh(y)^2) - atan(x*y)")
    t = tape.from_program(expr.grad_program)
    assert t.ops.dtype == np.int64 and t.consts.dtype == np.float64
    assert set(t.ops[:, 0].tolist()) <= set(range(len(tape.OPCODES)))

    class Rogue:  # a program whose operation is not in the table never becomes a tape
        ops = ((print, 0, 1),)
        consts = ()
        outputs = (2,)

    with pytest.raises(KeyError):
        tape.from_program(Rogue())
    for bad in ("__import__('os')", "x.real", "open(x)", "lambda: x", "[x]", "x if y else 1", "eval(x)"):
        with pytest.raises(expression.ExpressionError):
            expression.parse_expression(bad)


def test_one_specialization_of_the_loop_serves_everything() -> None:
    """Optimizer, surface, schedule, formula, single run or lanes: ids inside one kernel."""
    from app.engine.kernels import COMPILED

    bodies = [
        {
            "surface": s,
            "steps": 30,
            "include_state": True,
            "runs": [{"optimizer": o, "noise_std": n, "schedule": {"name": sc}} for o in ids],
        }
        for s, n, sc in (("ackley", 0.0, "constant"), ("booth", 0.3, "cosine"))
        for ids in LOOP_HALVES
    ]
    bodies.append(
        {
            "surface": {"expression": "x^2 + sin(y)", "x_range": [-2, 2], "y_range": [-2, 2]},
            "steps": 30,
            "runs": [{"optimizer": "adamw"}],
        }
    )
    for body in bodies:
        problem = _problem(body)
        for cfg in problem.runs:
            ScalarRun(problem, cfg).advance(problem.steps)
            LockstepRuns(problem, cfg, np.tile(problem.start, (40, 1)), {"lr": np.geomspace(1e-3, 1.0, 40)}).advance(30)
    if COMPILED:
        assert len(loop.steps.signatures) == 1


def test_the_deadline_stops_single_runs_and_lanes() -> None:
    import time

    from app.engine import deadline

    problem = _problem({"surface": "ackley", "steps": 20000, "runs": [{"optimizer": "adam"}]})
    deadline.bind(time.monotonic() - 1.0)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            ScalarRun(problem, problem.runs[0]).advance(problem.steps)
        with pytest.raises(deadline.DeadlineExceeded):
            LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (64, 1)), {"lr": np.full(64, 0.01)}).advance(
                20000
            )
    finally:
        deadline.bind(None)


COMPILE_ONCE = """
import numpy as np
from app.engine.expression import parse_expression
from app.engine.kernels import COMPILED, loop, tape

t = tape.from_program(parse_expression("sin(x) * y + x / 3").value_program)
X, Y, F, err = np.array([0.5, 1.0]), np.array([2.0, -1.0]), np.zeros(2), np.zeros(2, dtype=np.bool_)
loop.values(-1, t.ops, t.consts, t.outputs, X, Y, F, err)  # compiles tape.run as the kernels call it
v, e = np.zeros(t.slots * tape.LANES), np.zeros(tape.LANES, dtype=np.bool_)
v[0], v[tape.LANES] = 0.5, 2.0
tape.run(t.ops, t.consts, v, True, e, 0, t.ops.shape[0])  # as Python calls it (int64, bool)
print(COMPILED, len(tape.run.signatures), F[0] == v[t.outputs[0] * tape.LANES])
"""


def test_the_tape_interpreter_is_compiled_once_for_every_caller(tmp_path) -> None:
    """A literal argument (0, False) is a specialization of its own, compiled again with all that
    it calls: the kernels pass typed values, so one compiled interpreter serves them and Python."""
    env = {**os.environ, "OPTIVIZ_KERNEL_CACHE": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", COMPILE_ONCE], env=env, capture_output=True, text=True, check=True)
    compiled, signatures, same = done.stdout.split()
    if compiled != "True":
        pytest.skip("kernels run as plain Python (NUMBA_DISABLE_JIT): nothing is compiled")
    assert (signatures, same) == ("1", "True")
