"""Two math backends for formulas written once.

Every formula in the engine (surface values and gradients, optimizer update rules) is written
with arithmetic operators plus the functions of a backend ``xp`` passed in. The same code then
runs on Python floats (``SCALAR``: :mod:`math`, fastest for a handful of runs) and on NumPy
arrays (``ARRAY``: many rows stepping in lockstep).

On floats, a domain error or overflow raises (``ArithmeticError`` or ``ValueError``); on arrays
it gives ``nan``/``inf``. The runner treats both the same way: the run has diverged.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np


def _scalar_pow(a: float, b: float) -> float:
    r: float | complex = a**b
    if isinstance(r, complex):  # negative base, fractional exponent: not a real number
        raise ValueError("pow of a negative number to a fractional power")
    return r


def _scalar_sign(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


# the functions both backends take by the same name from their module (math or numpy)
_SAME = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "hypot")

SCALAR = SimpleNamespace(
    name="scalar",
    **{k: getattr(math, k) for k in _SAME},
    abs=abs,
    atan=math.atan,
    pow=_scalar_pow,
    sign=_scalar_sign,
    maximum=max,
    minimum=min,
    pi=math.pi,
    e=math.e,
)

ARRAY = SimpleNamespace(
    name="array",
    **{k: getattr(np, k) for k in _SAME},
    abs=np.abs,
    atan=np.arctan,
    pow=np.power,
    sign=np.sign,
    maximum=np.maximum,
    minimum=np.minimum,
    pi=math.pi,
    e=math.e,
)
