"""An optimizer is one module (app/engine/optimizers/<id>.py): every consumer of the registry
derives what it knows of an optimizer from that module, and none lists the optimizers by hand.

`test_each_consumer_derives_from_the_module` lists, for every registered optimizer, what each
consumer takes from its module: the spec (schema, catalogue), the compiled rule's kind and the
state before the first update, whether a schedule may cycle its momentum, the inspector's lines,
the torch export (class, or template file), the optax mapping or the reason there is none, and
the catalogue texts in both languages. `test_a_new_module_is_all_it_takes` adds a throwaway
optimizer as one new file (and its two catalogue texts) to a copy of the package and checks the
registry, the request schema, the catalogue, the step loop's dispatch, the inspector and the exports
pick it up.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import export, inspect
from app.engine import feedback, kernels
from app.engine.backend import SCALAR
from app.engine.kernels import dispatch, rules
from app.engine.optimizers import base
from app.export import network as network_export
from app.i18n import catalogue
from app.registry import OPTIMIZER_IDS, OPTIMIZERS, SCHEDULES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "app" / "engine" / "optimizers"
TEMPLATES = ROOT / "app" / "export" / "templates"

# the modules that consume the registry; none may name an optimizer (a hand-written list).
# Allowed: a name that is not the optimizer's id there (the answer's "momentum" field).
CONSUMERS = {
    "app/registry.py": set(),
    "app/engine/feedback.py": set(),
    "app/inspect.py": {"momentum"},  # res["momentum"]: the cycled momentum of each update
    "app/export/__init__.py": set(),
    "app/engine/kernels/dispatch.py": set(),
}


def _derived(oid: str) -> dict[str, object]:
    """What the consumers derive for one optimizer (each from its module's SPEC)."""
    spec = OPTIMIZERS[oid]
    p = spec.resolve({}, "optimizer")
    if "f_min" in p and p["f_min"] is None:
        p["f_min"] = 0.0  # filled from the surface by the service
    out: dict[str, object] = {"params": [q.name for q in spec.params]}
    if spec.driver == "loop":
        out["kind"] = spec.rule
        out["kernel"] = dispatch.KERNELS[spec.rule]
        out["state"] = spec.build(SCALAR, p).init(0.5)
        out["cycled"] = spec.rule in feedback.CYCLED_KINDS
    out["lines"] = inspect.RULE_LINES.get(oid)
    out["torch"] = export.TORCH_OPTIMIZERS[oid](p) if oid in export.TORCH_OPTIMIZERS else export.TORCH_REFUSED[oid]
    try:
        out["optax"] = export.OPTAX_OPTIMIZERS[oid](p) if oid in export.OPTAX_OPTIMIZERS else export.OPTAX_REFUSED[oid]
    except base.NotExportable as err:  # refused for some settings (e.g. AdaGrad's ε): the reason
        out["optax"] = str(err)
    texts = catalogue()
    out["texts"] = {k: texts[f"optimizer.{oid}.{k}"] for k in ("name", "description")}
    return out


@pytest.mark.parametrize("oid", OPTIMIZER_IDS)
def test_each_consumer_derives_from_the_module(oid: str) -> None:
    module = importlib.import_module(f"app.engine.optimizers.{oid}")
    spec = module.SPEC
    assert OPTIMIZERS[oid] is spec, "the registry holds the module's own declaration"
    assert module.__doc__ and len(module.__doc__) > 40, "the rule and where torch, optax and the course differ"
    derived = _derived(oid)
    print(oid, json.dumps(derived, default=repr, ensure_ascii=False, indent=1))

    # spec: the schema and catalogue take the module's params (lr first: the schedule's base)
    assert derived["params"][0] == "lr" and set(derived["params"]) - {"lr"} <= {
        n for n, _ in base.factory_args(spec.factory)
    }
    assert spec.public()["params"] == [q.public() for q in spec.params]
    # kernel: element-wise rules run in the compiled loop (a kind of rule), closure ones in their driver
    if spec.driver == "loop":
        assert isinstance(spec.rule, int) and 0 <= spec.rule < 32
        assert spec.kernel is not None and derived["kernel"] == spec.kernel, (
            "the loop dispatches to the module's compiled rule"
        )
        assert spec.kernel.step.__module__ in (module.__name__, spec.factory.__module__)
        assert derived["state"] is not None
        assert derived["cycled"] == spec.cycles_momentum, "CYCLED_KINDS comes from the modules"
    else:
        assert spec.kernel is None
        with pytest.raises(TypeError):
            spec.build(SCALAR, spec.resolve({}, "optimizer"))
    # inspector: the module's lines, as they are
    assert derived["lines"] is spec.lines is not None
    # torch: the module's mapping; a class torch lacks is a real template file
    assert (oid in export.TORCH_OPTIMIZERS) != (oid in export.TORCH_REFUSED)
    if oid in export.TORCH_OPTIMIZERS:
        assert export.TORCH_OPTIMIZERS[oid] is spec.torch
        ctor, template = derived["torch"]
        assert "([p]" in ctor
        if template is not None:
            text = (TEMPLATES / f"{template}.py").read_text(encoding="utf-8")
            copied = export.template(template)
            assert copied in text
            ast.parse(copied)
            cls = ctor.split("(")[0]
            assert cls.startswith("torch.optim.") or f"class {cls}(" in copied  # L-BFGS: torch's, in the closure loop
    # optax: the module's mapping or its reason, never both, never neither
    assert (spec.optax is None) != (spec.optax_refused is None)
    assert export.OPTAX_OPTIMIZERS.get(oid) is spec.optax and export.OPTAX_REFUSED.get(oid) == spec.optax_refused
    assert derived["optax"]
    # catalogue texts: English from the module, a translation in the catalogue
    texts = derived["texts"]
    assert texts["name"]["en"] == spec.name and texts["description"]["en"] == spec.description
    assert texts["name"].get("zh") and texts["description"].get("zh")


def test_rules_sharing_a_kind_agree_on_the_cycled_momentum() -> None:
    kinds: dict[int, bool] = {}
    for spec in OPTIMIZERS.values():
        if spec.driver == "loop":
            assert kinds.setdefault(spec.rule, spec.cycles_momentum) == spec.cycles_momentum
    assert max(len(base.factory_args(s.factory)) for s in OPTIMIZERS.values() if s.driver == "loop") <= rules.HYPER


def test_every_module_is_registered_and_every_template_is_used() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "base" and not p.stem.startswith("_")}
    assert modules == set(OPTIMIZER_IDS)
    used = set()
    for oid, spec in OPTIMIZERS.items():
        p = spec.resolve({}, "optimizer")
        variants = [p] + [{**p, q.name: not p[q.name]} for q in spec.params if q.kind == "bool"]
        variants += [{**p, q.name: c} for q in spec.params if q.kind == "choice" for c in q.choices]
        for v in variants:
            if oid in export.TORCH_OPTIMIZERS:
                used.add(export.TORCH_OPTIMIZERS[oid](v)[1])
            if spec.torch_network is not None:  # a matrix optimizer's form in the network's script
                used.add(spec.torch_network(v)[1])
        used.add(spec.optax_rate_template)
    used -= {None}
    templates = {p.stem for p in TEMPLATES.glob("*.py") if p.stem not in ("__init__", "_script")}
    assert used <= templates  # every template an optimizer names exists
    # the rest are the scripts' own parts (loops, schedulers, main), which the exporter names itself
    source = "".join(
        Path(f).read_text(encoding="utf-8") for f in (export.__file__, network_export.__file__)
    )  # the studio's scripts and the network's
    named = set(re.findall(r'template\(\s*"(\w+)"', source))
    named |= {n for pair in re.findall(r'template\(\s*"(\w+)" if \w+ else "(\w+)"', source) for n in pair}
    assert templates - used == named - used, "a template file no optimizer and no script part uses"


def test_the_kernel_cache_is_named_after_every_optimizer_module(tmp_path: Path, monkeypatch) -> None:
    """The loop is cached with the rules compiled into it: a new or changed optimizer module must
    name a new cache directory (a stale kernel would compute with the old rules)."""
    engine = tmp_path / "engine"
    shutil.copytree(ROOT / "app" / "engine", engine, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kernels, "_ENGINE", engine)
    before = kernels._source_hash()
    assert before == kernels._source_hash()
    lion = engine / "optimizers" / "lion.py"
    lion.write_text(lion.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = kernels._source_hash()
    (engine / "optimizers" / "sign_descent.py").write_text(SIGN_DESCENT, encoding="utf-8")
    assert len({before, edited, kernels._source_hash()}) == 3


@pytest.mark.parametrize("path", sorted(CONSUMERS))
def test_no_consumer_lists_optimizers_by_hand(path: str) -> None:
    """A consumer that names an optimizer id holds per-optimizer knowledge its module should hold."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    named = {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in OPTIMIZERS
    }
    assert named <= CONSUMERS[path], f"{path} names optimizers: {sorted(named - CONSUMERS[path])}"


@pytest.mark.parametrize("oid", OPTIMIZER_IDS)
def test_the_module_writes_its_texts_lines_and_exports_as_text(oid: str) -> None:
    """The texts begin the docstring; the inspector's lines are text (``symbol ¦ formula ¦ value``)
    whose named slots the update's context and the rule's internals fill; the torch constructors
    that only rename the params are code templates."""
    module = importlib.import_module(f"app.engine.optimizers.{oid}")
    spec = OPTIMIZERS[oid]
    paragraphs = module.__doc__.split("\n\n")
    assert paragraphs[0] == f"{spec.name}: {spec.formula}"
    assert paragraphs[1].replace("\n", " ") == spec.description
    assert paragraphs[2].replace("\n", " ") == f"Convention: {spec.convention}"
    rows = base.templates(module.LINES)
    assert rows and all(symbol and formula and value.isidentifier() for symbol, formula, value in rows)
    assert "Δθ" in {symbol for symbol, _, _ in rows}, "the step is always shown"
    if isinstance(getattr(module, "TORCH", None), str):
        p = spec.resolve({}, "optimizer")
        assert spec.torch is not None and spec.torch(p)[0] == base.code(module.TORCH, p)


def test_a_line_is_three_fields() -> None:
    assert base.templates("\nm ¦ m ← β₁m ¦ m\n") == (("m", "m ← β₁m", "m"),)
    with pytest.raises(ValueError, match="symbol ¦ formula ¦ value"):
        base.templates("m ¦ m ← β₁m")


SIGN_DESCENT = '''"""Sign descent: θ ← θ − α·sign(g)

Only the sign of the gradient.

Convention: optax sign_sgd

A throwaway module, written by the test: θ ← θ − lr·sign(g).
"""

from typing import Any

from ..kernels import jit
from ..kernels.rules import NAN, sign
from .base import declare, lr_param


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    return theta - lr * sign(g), a, b, c, NAN, NAN


LINES = "Δθ ¦ Δθ = −α·sign(g) ¦ step"
OPTAX = "optax.chain(optax.scale_by_sign(), optax.scale_by_learning_rate(lr))"
TORCH_REFUSED = "torch.optim has no sign descent"

SPEC = declare(__name__, (lr_param(0.01),), color="#123456", order=99)
'''

PROBE = """
import json
from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.engine.backend import SCALAR
from app.engine.kernels import dispatch, rules
from app.i18n import messages
from app import export, inspect
from app.export import network as network_export
from app.registry import OPTIMIZER_IDS, OPTIMIZERS

spec = OPTIMIZERS["sign_descent"]
body = {"surface": "rosenbrock", "steps": 3, "runs": [{"optimizer": "sign_descent", "params": {"lr": 0.5}}]}
problem = build_problem(TrajectoryRequest.model_validate(body))
opt = spec.build(SCALAR, problem.runs[0].params)
path = trajectories(problem)["runs"][0]
print(json.dumps({
    "ids": list(OPTIMIZER_IDS),
    "catalogue": spec.public()["name"],
    "zh": messages("zh")["optimizer.sign_descent.name"],
    "run": problem.runs[0].optimizer.id,
    "step": opt.update(-3.0, opt.init(1.0), 1.0, 0.5)[0],
    "path": [path["x"][:2], path["y"][:2]],
    "lines": inspect.RULE_LINES["sign_descent"] is spec.lines,
    "torch": export.TORCH_REFUSED["sign_descent"],
    "optax": export.OPTAX_OPTIMIZERS["sign_descent"]({"lr": 0.5}),
    "kind": [spec.rule, rules.SIGN_DESCENT, len(dispatch.KERNELS) - 1, dispatch.KERNELS[spec.rule] is spec.kernel],
}))
"""


def test_a_new_module_is_all_it_takes(tmp_path: Path) -> None:
    """One new file (and its catalogue texts) in a copy of the package: the registry, the request
    schema, the catalogue, the factory, the inspector and the exports know the new optimizer."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "app" / "engine" / "optimizers" / "sign_descent.py").write_text(SIGN_DESCENT, encoding="utf-8")
    cat = tmp_path / "app" / "i18n" / "catalogue.json"
    texts = json.loads(cat.read_text(encoding="utf-8"))
    texts["optimizer.sign_descent.name"] = {"zh": "符号下降"}
    texts["optimizer.sign_descent.description"] = {"zh": "只用梯度的符号。"}
    cat.write_text(json.dumps(texts, ensure_ascii=False, indent=1), encoding="utf-8")
    # the step loop as plain Python (NUMBA_DISABLE_JIT): its dispatch is generated with the new rule
    # in it either way; compiled, the copy's new sources would compile every kernel again (minutes)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "OPTIVIZ_ROOT": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["ids"] == [*OPTIMIZER_IDS, "sign_descent"]
    assert got["catalogue"] == "Sign descent" and got["zh"] == "符号下降"
    assert got["run"] == "sign_descent" and got["step"] == 1.5  # 1 − 0.5·sign(−3)
    # the step loop ran the new rule: from (−1.2, 1), where ∇f = (−215.6, −88), one step of 0.5 along −sign
    assert got["path"] == [[-1.2, -0.7], [1.0, 1.5]]
    assert got["lines"] is True
    assert got["torch"] == "torch.optim has no sign descent"
    assert got["optax"].startswith("optax.chain(optax.scale_by_sign()")
    # the new rule's kind is the next number, derived (the module declares none)
    assert got["kind"] == [len(dispatch.KERNELS)] * 3 + [True]


def test_the_kinds_are_the_rules_numbered_in_the_registrys_order() -> None:
    """No module declares its kind: the distinct compiled rules, in the registry's order, numbered
    (AdamW shares Adam's rule, so its kind); `rules.ADAM` etc. and the dispatch read those numbers."""
    distinct = list(dict.fromkeys(s.kernel for s in OPTIMIZERS.values() if s.kernel is not None))
    assert dict(enumerate(distinct)) == dispatch.KERNELS
    for spec in OPTIMIZERS.values():
        if spec.driver == "loop":
            assert spec.rule == distinct.index(spec.kernel) == getattr(rules, spec.id.upper())
        else:
            assert spec.rule == -1 and spec.kernel is None
    assert OPTIMIZERS["adamw"].rule == OPTIMIZERS["adam"].rule == rules.ADAM
    assert (OPTIMIZERS["schedule_free_adamw"].rule, OPTIMIZERS["polyak_sgd"].rule) == (rules.SFREE, rules.POLYAK)
    with pytest.raises(AttributeError):
        _ = rules.NO_SUCH_RULE


@pytest.mark.parametrize("oid", OPTIMIZER_IDS)
def test_the_module_states_no_wiring(oid: str) -> None:
    """The declaration holds the texts and the choices; the factory, the compiled rule and its kind,
    the lines and the exports are found in the module by their names (`base.declare`)."""
    tree = ast.parse((PACKAGE / f"{oid}.py").read_text(encoding="utf-8"))
    spec = next(n.value for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "SPEC")
    assert isinstance(spec, ast.Call) and ast.unparse(spec.func) == "declare"
    wiring = {"factory", "kernel", "rule", "lines", "replay", "torch", "optax", "optax_rate", "driver"}
    assert not wiring & {k.arg for k in spec.keywords}


def test_the_texts_survive_python_without_docstrings() -> None:
    """``python -OO`` (``PYTHONOPTIMIZE=2`` in an image) strips docstrings: the registry reads the
    modules' (and the schedule functions') texts from their source instead, the same texts."""
    code = (
        "import json; from app.registry import OPTIMIZERS as R, SCHEDULES as S; "
        "print(json.dumps([{k: [s.name, s.formula, s.description, s.convention] for k, s in R.items()}, "
        "{k: s.public() for k, s in S.items()}]))"
    )
    out = subprocess.run(
        [sys.executable, "-OO", "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    got = json.loads(out.stdout)
    assert got[0] == {k: [s.name, s.formula, s.description, s.convention] for k, s in OPTIMIZERS.items()}
    assert got[1] == json.loads(json.dumps({k: s.public() for k, s in SCHEDULES.items()}))
