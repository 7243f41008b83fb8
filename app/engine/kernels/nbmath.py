"""The math backend ``xp`` of compiled code: the functions of :mod:`math` (libm, the same bits as
the floats of `app.engine.backend.SCALAR`), `maximum` and `minimum` with Python's ``max``/``min``
semantics, and `hypot` as CPython computes it."""

from __future__ import annotations

import math
from math import cos, exp, sin, sqrt  # noqa: F401  (attributes of this backend)

from . import jit


@jit
def maximum(a: float, b: float) -> float:
    """``max(a, b)`` of Python: ``b`` only if it is greater (so a nan ``b`` keeps ``a``)."""
    return b if b > a else a


@jit
def minimum(a: float, b: float) -> float:
    """``min(a, b)`` of Python: ``b`` only if it is smaller (so a nan ``b`` keeps ``a``)."""
    return b if b < a else a


_LOGE2 = 0.693147180559945309417232121458176568  # NumPy's NPY_LOGE2


@jit
def logaddexp(a: float, b: float) -> float:
    """``numpy.logaddexp(a, b)`` = log(eᵃ + eᵇ) as NumPy computes it (npy_logaddexp, libm's exp
    and log1p): the same bits."""
    if a == b:
        return a + _LOGE2  # infinities of one sign too
    d = a - b
    if d > 0.0:
        return a + math.log1p(math.exp(-d))
    if d <= 0.0:
        return b + math.log1p(math.exp(d))
    return d  # nan


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant, splits a double into two halves
_DBL_MIN = 2.2250738585072014e-308


@jit
def _square_add(csum: float, frac1: float, frac2: float, a: float, b: float) -> tuple[float, float, float]:
    """Add the exact product a·b (as hi + lo, Dekker) to the running sum (csum, frac1, frac2)."""
    t = a * _SPLIT
    ahi = t - (t - a)
    alo = a - ahi
    t = b * _SPLIT
    bhi = t - (t - b)
    blo = b - bhi
    p = ahi * bhi
    q = ahi * blo + alo * bhi
    z = p + q
    zz = p - z + q + alo * blo
    s = csum + z  # fast two-sum: |csum| >= |z|
    return s, frac1 + zz, frac2 + (csum - s + z)


@jit
def hypot(x: float, y: float) -> float:
    """``math.hypot(x, y)`` of CPython (3.8+): not libm's, but a correctly rounded-in-practice
    norm from exact squares and one differential correction, computed here the same way so the
    gradient norms (and the convergence test) have the bits the Python path gives."""
    ax, ay = abs(x), abs(y)
    if math.isinf(ax) or math.isinf(ay):
        return math.inf
    if math.isnan(ax) or math.isnan(ay):
        return math.nan
    mx = ax if ax >= ay else ay
    if mx == 0.0:
        return mx
    e = math.frexp(mx)[1]
    tiny = 1.0
    if e < -1023:  # subnormal: scale up first (2**-e would overflow)
        tiny = _DBL_MIN
        ax, ay = ax / tiny, ay / tiny
        e = math.frexp(mx / tiny)[1]
    scale = math.ldexp(1.0, -e)
    ax, ay = ax * scale, ay * scale
    csum, frac1, frac2 = _square_add(1.0, 0.0, 0.0, ax, ax)
    csum, frac1, frac2 = _square_add(csum, frac1, frac2, ay, ay)
    h = math.sqrt(csum - 1.0 + (frac1 + frac2))
    csum, frac1, frac2 = _square_add(csum, frac1, frac2, -h, h)
    h += (csum - 1.0 + (frac1 + frac2)) / (2.0 * h)
    return tiny * (h / scale) if tiny != 1.0 else h / scale
