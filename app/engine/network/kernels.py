"""The network's compiled passes (`app.engine.network.model`): the element-wise steps between its
layers' products, fused so that each reads and writes a layer once.

The products of the hidden layers stay NumPy's batched matmul (BLAS), and tanh and the sigmoid
NumPy's vectorized ufuncs (AVX-512 where the CPU has it: measured 1.4 ns per value here, against
2.4 ns for a compiled rational approximation in numba's 256-bit vectors and 45 ns for libm's tanh
called per value). What is compiled:

- `first_layer`: the first layer's product and bias, z = b + Σ_q W[:, q]·x_q (a product over 2
  inputs is too thin for BLAS: half the time of NumPy's matmul, and no separate bias pass), with
  the ReLU inline;
- `add_bias`: z + b on a hidden layer's product in place, with the ReLU inline (tanh and the
  sigmoid: NumPy's pass after it);
- `output_dz`: the output's ∂loss/∂z from the logits and exp(−|z|);
- `output_back` and `hidden_back`: a hidden layer's ∂loss/∂z, f'(z) from a = f(z), and its bias's
  gradient in the same pass.

Sums run in the order written (no fastmath, as every kernel of the engine): the results differ
from a BLAS product only by float64 round-off in the order of summation.
"""

from __future__ import annotations

import numpy as np

from ..kernels import jit, jit_inline

RELU, TANH = 0, 1  # the activations' numbers (model.ACTIVATIONS' order; 2: the sigmoid)


@jit_inline
def slope(kind: int, a: float) -> float:
    """f'(z) from a = f(z): relu 1[a > 0] (torch: 0 at z = 0), tanh 1 − a², sigmoid a(1 − a)."""
    if kind == RELU:
        return 1.0 if a > 0.0 else 0.0
    if kind == TANH:
        return 1.0 - a * a
    return a * (1.0 - a)


@jit
def first_layer(kind: int, x: np.ndarray, w: np.ndarray, b: np.ndarray, z: np.ndarray) -> None:
    """z[k, i, j] = b[k, j] + Σ_q w[k, j, q]·x[i, q], then max(z, 0) if kind is ReLU (tanh and
    the sigmoid: the caller's NumPy pass): the first layer of K vectors, x (n, inputs),
    w (K, width, inputs), b (K, width), z (K, n, width)."""
    inputs, width = x.shape[1], z.shape[2]
    wt = np.empty((inputs, width))  # one vector's weights transposed: the inner loop runs over j
    for k in range(z.shape[0]):
        for q in range(inputs):
            for j in range(width):
                wt[q, j] = w[k, j, q]
        for i in range(z.shape[1]):
            for j in range(width):
                z[k, i, j] = b[k, j]
            for q in range(inputs):
                xq = x[i, q]
                for j in range(width):
                    z[k, i, j] += wt[q, j] * xq
            if kind == RELU:
                for j in range(width):
                    v = z[k, i, j]
                    z[k, i, j] = v if v > 0.0 else 0.0


@jit
def add_bias(kind: int, z: np.ndarray, b: np.ndarray) -> None:
    """z ← z + b in place, then max(z, 0) if kind is ReLU, z (K, n, w), b (K, w) (one rounding:
    the same bits as NumPy's broadcast add, in a third of its time on these shapes)."""
    for k in range(z.shape[0]):
        for i in range(z.shape[1]):
            for j in range(z.shape[2]):
                v = z[k, i, j] + b[k, j]
                if kind == RELU:
                    v = v if v > 0.0 else 0.0
                z[k, i, j] = v


@jit
def hidden_back(kind: int, da: np.ndarray, a: np.ndarray, db: np.ndarray) -> None:
    """da ← da·f'(z) in place (da: ∂loss/∂a of a hidden layer, (K, n, w)), and its bias's
    gradient db (K, w) = Σ over the samples."""
    for k in range(da.shape[0]):
        for j in range(da.shape[2]):
            db[k, j] = 0.0
        for i in range(da.shape[1]):
            for j in range(da.shape[2]):
                v = da[k, i, j] * slope(kind, a[k, i, j])
                da[k, i, j] = v
                db[k, j] += v


@jit
def output_dz(z: np.ndarray, e: np.ndarray, y: np.ndarray, scale: float, dz: np.ndarray) -> None:
    """The output's ∂loss/∂z (K, n) = (σ(z) − y)·scale, the sigmoid from e = exp(−|z|) (NumPy's
    exp, given): 1/(1 + e) for z ≥ 0, e/(1 + e) below; the operations of NumPy's passes in
    their order (the same bits, one pass instead of five)."""
    for k in range(z.shape[0]):
        for i in range(z.shape[1]):
            s = 1.0 / (1.0 + e[k, i])
            if z[k, i] < 0.0:
                s = s * e[k, i]
            dz[k, i] = (s - y[i]) * scale


@jit
def output_back(kind: int, dz: np.ndarray, w: np.ndarray, a: np.ndarray, da: np.ndarray, db: np.ndarray) -> None:
    """The last hidden layer's ∂loss/∂z from the output's dz (K, n) and weights w (K, width):
    da (K, n, width) = dz·w·f'(z), and its bias's gradient db (K, width)."""
    for k in range(da.shape[0]):
        for j in range(da.shape[2]):
            db[k, j] = 0.0
        for i in range(da.shape[1]):
            d = dz[k, i]
            for j in range(da.shape[2]):
                v = d * w[k, j] * slope(kind, a[k, i, j])
                da[k, i, j] = v
                db[k, j] += v
