"""The compiled rule of every optimizer, dispatched on its kind: ``init``, ``bias`` and ``update``.

The rules are in the optimizers' own modules (``SPEC.kernel``, `app.engine.optimizers.base.Kernel`);
numba cannot call a function taken from a list, so the three dispatchers are if-chains over the
kinds, written here as program text from the registry (kind numbers and names only, never user
text) and compiled with ``compile()``; each becomes a function over a namespace that holds the
rules' compiled functions. The chains are compiled without numba's disk cache (they have no source
file); the cached kernels that call them (`app.engine.kernels.loop`) are cached with them inlined,
and the cache directory is named after a hash of every optimizer module
(`app.engine.kernels._SOURCES`), so a changed rule never meets a stale kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..codegen import define
from ..optimizers import KINDS
from ..optimizers.base import Kernel
from . import jit_generated

# (kind, kernel) of every element-wise optimizer, in the registry's order (a rule shared, e.g.
# AdamW's with Adam's, is one kind)
KERNELS: dict[int, Kernel] = {kind: kernel for kernel, kind in KINDS.items()}


def chain(name: str, head: str, cases: list[tuple[int, str]], default: str, names: dict[str, Any]) -> Any:
    """``def name(head)`` dispatching on ``kind``: ``if kind == k: <case>`` for each case, else
    ``default`` (each a ``return`` statement); compiled from this program text (kinds and names,
    never user text) with ``names`` as its globals, then by numba (without its disk cache)."""
    lines = [f"def {name}({head}):"]
    for kind, body in cases:
        lines += [f"    if kind == {kind:d}:", f"        {body}"]
    lines.append(f"    {default}")
    source = "\n".join(lines) + "\n"
    return jit_generated(define(source, name, {**names, "NAN": math.nan}, f"<optimizer dispatch: {name}>"))


_names = {f"step{k}": kern.step for k, kern in KERNELS.items()}
_names.update({f"init{k}": kern.init for k, kern in KERNELS.items() if kern.init is not None})
_names.update({f"bias{k}": kern.bias for k, kern in KERNELS.items() if kern.bias is not None})

# the state (a, b, c) of one coordinate before the first update
init: Callable[..., tuple[float, float, float]] = chain(
    "init",
    "kind, theta, h",
    [(k, f"return init{k}(theta, h)") for k, kern in KERNELS.items() if kern.init is not None],
    "return theta * 0.0, theta * 0.0, theta * 0.0",
    _names,
)

# the values (c1, c2) an update after t updates takes (Adam's bias corrections; 1, 1: none)
bias: Callable[..., tuple[float, float]] = chain(
    "bias",
    "kind, t, h",
    [(k, f"return bias{k}(t, h)") for k, kern in KERNELS.items() if kern.bias is not None],
    "return 1.0, 1.0",
    _names,
)

# One update of one coordinate, any optimizer: (θ, a, b, c, moment, rate) after it.
#
# ``t`` is the number of updates done before; ``h`` the hyperparameters (`rules.HYPER` floats);
# ``c1, c2`` = ``bias(kind, t, h)`` (shared by the coordinates, or read from a table; for
# Schedule-Free c1 is the largest lr so far, for Polyak the step size γ: the loop computes both,
# see `app.engine.kernels.loop.steps` and `rules.polyak_rate`); moment and rate are nan where the
# method has no such quantity (rate is then simply lr).
update: Callable[..., tuple[float, float, float, float, float, float]] = chain(
    "update",
    "kind, g, t, a, b, c, theta, lr, h, c1, c2, xp",
    [(k, f"return step{k}(g, t, a, b, c, theta, lr, h, c1, c2, xp)") for k in KERNELS],
    "return theta, a, b, c, NAN, NAN",
    _names,
)
