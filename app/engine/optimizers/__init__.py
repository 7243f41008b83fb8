"""The optimizers: one module each, collected here into the registry.

Each module of this package (but `base` and private ones) declares ``SPEC``, an `OptimizerSpec`
(`base.declare`: read from the module): the rule and where torch, optax and the course differ (its
docstring), the hyperparameters, the factory and the compiled rule, the inspector's lines and how
it exports. ``OPTIMIZERS`` lists them in their catalogue ``order``, ``KINDS`` numbers their
compiled rules in that order; everything else (schema, catalogue, the loop's dispatch, kernels'
cycled momenta, inspector, exports, tests) reads them. Adding an
element-wise optimizer is one new module here (and its catalogue texts, en and zh).
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Kernel, NotExportable, Optimizer, OptimizerSpec, factory_args

__all__ = ["KINDS", "OPTIMIZERS", "NotExportable", "Optimizer", "OptimizerSpec", "factory_args"]


def _discover() -> dict[str, OptimizerSpec]:
    specs: list[OptimizerSpec] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, OptimizerSpec):
            raise TypeError(f"optimizer module {module.__name__} declares no SPEC (an OptimizerSpec)")
        specs.append(spec)
    specs.sort(key=lambda s: (s.order, s.id))
    return {s.id: s for s in specs}


OPTIMIZERS: dict[str, OptimizerSpec] = _discover()


def _kinds() -> dict[Kernel, int]:
    """The kind number of each compiled rule: the rules in the registry's order, numbered (a rule
    several optimizers share, Adam's with AdamW, numbered once). Nothing declares a kind."""
    kinds: dict[Kernel, int] = {}
    for spec in OPTIMIZERS.values():
        if spec.kernel is not None:
            kinds.setdefault(spec.kernel, len(kinds))
    return kinds


KINDS: dict[Kernel, int] = _kinds()
