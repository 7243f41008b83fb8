"""The network benchmark's baselines, in the bench environment (torch, JAX/optax: never runtime
dependencies). Kept free of app imports.

Run as a long-lived process, as bench/baselines.py (its `serve` loop): each stdin line names a
computation and a count, and gets its [wall, CPU] seconds as JSON. The workload (bench/network.py's): a
2→16→16→1 network (tanh, float64) on 1,000 samples, mean BCE from the logit; one training step
(forward, backward, Adam) is one computation, and so is the loss at 51 × 51 parameter vectors.

- ``jax``: one run's step, ``jax.jit`` of value_and_grad + optax.adam (the issue's reference).
- ``jax8``: 8 runs' step at once, ``jax.jit(jax.vmap(step))`` (for comparison at equal work).
- ``torch``: one run's step in torch eager, ``torch.optim.Adam``, 1 thread.
- ``jax_grid``: 2,601 losses, ``jax.jit(jax.vmap(loss))``.
- ``torch_grid``: 2,601 losses, ``torch.func.vmap(functional_call)``, 1 thread.
"""

from __future__ import annotations

import numpy as np
from baselines import serve  # bench/baselines.py: this script's folder is first on sys.path

N, WIDTH, GRID = 1000, 16, 51
LR = 0.01


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.float64)


def sizes() -> list[tuple[int, int]]:
    return [(WIDTH, 2), (WIDTH, WIDTH), (1, WIDTH)]


def init_np(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * np.sqrt(2.0 / s[1]), np.zeros(s[0])) for s in sizes()]


def jax_side(with_runs: int):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    x_np, y_np = data()
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)

    def loss(params):
        a = x
        for i, (w, b) in enumerate(params):
            a = a @ w.T + b
            if i < len(params) - 1:
                a = jnp.tanh(a)
        z = a[:, 0]
        return jnp.mean(jax.nn.softplus(z) - y * z)

    opt = optax.adam(LR)

    def step(params, state):
        value, g = jax.value_and_grad(loss)(params)
        upd, state = opt.update(g, state, params)
        return optax.apply_updates(params, upd), state, value

    if with_runs == 1:
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in init_np()]
        fn = jax.jit(step)
    else:
        inits = [init_np(s) for s in range(with_runs)]
        params = [
            (jnp.asarray(np.stack([p[i][0] for p in inits])), jnp.asarray(np.stack([p[i][1] for p in inits])))
            for i in range(3)
        ]
        fn = jax.jit(jax.vmap(step))
    state = jax.vmap(opt.init)(params) if with_runs > 1 else opt.init(params)
    box = [params, state]

    def run() -> None:
        p, s, value = fn(box[0], box[1])
        jax.block_until_ready(value)
        box[0], box[1] = p, s

    return run


def jax_grid():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    x_np, y_np = data()
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in init_np()])
    rng = np.random.default_rng(1)
    thetas = jnp.asarray(flat + 0.1 * rng.standard_normal((GRID * GRID, flat.size)))
    shapes = sizes()

    def loss(theta):
        a, o = x, 0
        for i, (out, inp) in enumerate(shapes):
            w = theta[o : o + out * inp].reshape(out, inp)
            o += out * inp
            b = theta[o : o + out]
            o += out
            a = a @ w.T + b
            if i < len(shapes) - 1:
                a = jnp.tanh(a)
        z = a[:, 0]
        return jnp.mean(jax.nn.softplus(z) - y * z)

    fn = jax.jit(jax.vmap(loss))

    def run() -> None:
        jax.block_until_ready(fn(thetas))

    return run


def _torch_model():
    """torch on 1 thread, float64: the network (the shared init copied in), x and y."""
    import torch

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    x_np, y_np = data()
    model = torch.nn.Sequential(
        torch.nn.Linear(2, WIDTH),
        torch.nn.Tanh(),
        torch.nn.Linear(WIDTH, WIDTH),
        torch.nn.Tanh(),
        torch.nn.Linear(WIDTH, 1),
    )
    with torch.no_grad():
        for layer, (w, b) in zip(model[::2], init_np(), strict=True):
            layer.weight.copy_(torch.tensor(w))
            layer.bias.copy_(torch.tensor(b))
    return model, torch.tensor(x_np), torch.tensor(y_np)


def torch_side():
    import torch

    model, x, y = _torch_model()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    fn = torch.nn.BCEWithLogitsLoss()

    def run() -> None:
        opt.zero_grad()
        fn(model(x)[:, 0], y).backward()
        opt.step()

    return run


def torch_grid():
    import torch
    from torch.func import functional_call, vmap

    model, x, y = _torch_model()
    names = [n for n, _ in model.named_parameters()]
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in init_np()])
    rng = np.random.default_rng(1)
    thetas = torch.tensor(flat + 0.1 * rng.standard_normal((GRID * GRID, flat.size)))
    shapes = [s for out, inp in sizes() for s in ((out, inp), (out,))]

    def loss(theta):
        params, o = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            params[name] = theta[o : o + size].reshape(shape)
            o += size
        z = functional_call(model, params, (x,))[:, 0]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y)

    fn = vmap(loss)

    def run() -> None:
        with torch.no_grad():
            fn(thetas)

    return run


def main() -> None:
    serve(
        {
            "jax": lambda: jax_side(1),
            "jax8": lambda: jax_side(8),
            "torch": torch_side,
            "jax_grid": jax_grid,
            "torch_grid": torch_grid,
        }
    )


if __name__ == "__main__":
    main()
