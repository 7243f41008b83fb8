"""Networks: from a validated request to a trained `Training` and its landscape, as public JSON or as
events.

The data flow: `NetworkRequest` → data set + network + runs (`build_network_problem`, each run
resolved by `app.api.service.run_config`, the code every surface's runs go through) → engine
(`app.engine.network`: `Training`, then a plane's `landscape`) → JSON (`network_answer`), events
(`NetworkStream`) or another plane of the same runs (`plane_answer`, from `TRAININGS`, this worker's
cache of trained runs, so the user switches plane without retraining).

Free of FastAPI, like `app.api.service`. A request the schema accepts but the problem cannot
raises `InvalidRequest` (the usual 422), with its text from ``app/i18n/network_api.json``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

import numpy as np
import orjson

from ..engine import deadline as _deadline
from ..engine.network import (
    ACTIVATIONS,
    DATA_SETS,
    INITS,
    DataConfig,
    ModelConfig,
    NetworkProblem,
    Training,
    train,
)
from ..engine.network import answer_bytes as training_answer_bytes
from ..engine.network import estimate as training_estimate
from ..engine.network.planes import PLANES, PlaneConfig, landscape
from ..engine.network.planes import estimate as plane_estimate
from ..i18n import explain, messages, text
from ..registry import OPTIMIZERS
from ..settings import get_settings
from .memory import Memory
from .schemas_networks import NETWORK_EXAMPLE, NETWORK_MAX_UPDATES, NetworkRequest
from .service import chain_config, invalid, run_config, run_public

Answer = dict[str, Any]
Progress = Callable[[float], None]
# the optimizers' drivers a network trains with: element-wise on the P-vector ("loop") and by weight
# matrix ("matrix": Adafactor, Muon, LAMB); "closure" ones (L-BFGS, Newton) and those that take the
# exact Hessian are refused (as `NetworkProblem` does)
DRIVERS = ("loop", "matrix")


def trains_networks(spec: Any) -> bool:
    return spec.driver in DRIVERS and not spec.hessian


# --- the problem -----------------------------------------------------------------------------------


def _params(run: Any) -> dict[str, Any]:
    """The run's params; the Polyak step size's f* defaults to 0, the cross-entropy's lower bound."""
    if "f_min" in run.params and run.params["f_min"] is None:
        return {**run.params, "f_min": 0.0}
    return dict(run.params)


def build_network_problem(req: NetworkRequest) -> tuple[NetworkProblem, PlaneConfig]:
    """The engine's problem and plane of a validated body; 422 (`InvalidRequest`) for what needs
    several fields: the split, batch sizes, optimizers the network cannot run, the total updates."""
    try:
        data = DataConfig(**req.data.model_dump())
        model = ModelConfig(
            hidden=tuple(req.model.hidden), activation=req.model.activation, init=req.model.init, seed=req.model.seed
        )
    except ValueError as err:
        raise invalid((), explain(err)) from None
    n_train, n_test = data.n_train, data.n_test
    if n_train < 2 or (req.data.test_fraction > 0 and n_test < 1):
        raise invalid(
            ("data", "test_fraction"),
            text("network_api.error.split", train=n_train, test=n_test),
            req.data.test_fraction,
        )
    labels: dict[str, int] = {}
    runs = []
    for i, run in enumerate(req.runs):
        links = [link.optimizer for link in run.optimizers] if run.optimizers else [run.optimizer]
        for j, spec in enumerate(OPTIMIZERS[oid] for oid in links):
            if not trains_networks(spec):
                runnable = ", ".join(o.id for o in OPTIMIZERS.values() if trains_networks(o))
                raise invalid(
                    ("runs", i, "optimizers", j, "optimizer") if run.optimizers else ("runs", i, "optimizer"),
                    text("network_api.error.optimizer", optimizer=spec.id, valid=runnable),
                    spec.id,
                )
        cfg = run_config(i, run, n_train, _params(run), labels)
        if run.optimizers is not None and len(run.optimizers) > 1:  # milestones in updates of this run
            rule = next((j for j, link in enumerate(run.optimizers) if link.rule is not None), None)
            if rule is not None:
                raise invalid(("runs", i, "optimizers", rule, "rule"), text("switch_networks.error.swats"), "swats")
            per_epoch = math.ceil(n_train / (cfg.batch_size or n_train))
            steps = req.epochs * per_epoch
            values = {"epochs": req.epochs, "updates": per_epoch, "index": i}
            cfg = chain_config(
                i, run, cfg, steps, 1, lambda _, one: _params(one), "switch_networks.error.milestone", **values
            )
        runs.append(cfg)
    updates = sum(req.epochs * math.ceil(n_train / (cfg.batch_size or n_train)) for cfg in runs)
    if updates > NETWORK_MAX_UPDATES:
        raise invalid(
            ("epochs",),
            text("network_api.error.updates", updates=f"{updates:,}", limit=f"{NETWORK_MAX_UPDATES:,}"),
            req.epochs,
        )
    try:  # the engine checks its configurations too: what the schema let through is a 422, never a 500
        problem = NetworkProblem(
            data=data, model=model, epochs=req.epochs, seed=req.seed, runs=tuple(runs), points=req.points
        )
        plane = PlaneConfig(kind=req.plane.kind, n=req.plane.n, run=req.plane.run, seed=req.plane.seed)
    except ValueError as err:
        raise invalid((), explain(err)) from None
    limit = get_settings().max_answer_bytes
    nbytes = answer_bytes(problem, plane)
    if nbytes > limit:
        raise invalid(
            ("points",),
            text("network_api.error.answer_bytes", size=f"{nbytes / 1e6:,.0f}", limit=f"{limit / 1e6:,.0f}"),
            req.points,
        )
    return problem, plane


def work(problem: NetworkProblem, plane: PlaneConfig, trained: bool = False) -> float:
    """Estimated CPU seconds: the training (unless ``trained``) and the plane's grid."""
    return (0.0 if trained else training_estimate(problem)) + plane_estimate(plane, problem)


FIDELITY_BYTES = 1024  # a run's fidelity figures and warning


def answer_bytes(problem: NetworkProblem, plane: PlaneConfig) -> int:
    """An upper bound of the JSON answer's bytes (`train.answer_bytes` with the plane's grid) and
    the request echoed with each run's fidelity."""
    return training_answer_bytes(problem, plane.n) + FIDELITY_BYTES * (len(problem.runs) + 1)


def resolved(problem: NetworkProblem, plane: PlaneConfig | None) -> Answer:
    """The request with every default filled in (the stream's ``meta`` has it, and the answer)."""
    out: Answer = {
        "data": asdict(problem.data),
        "model": {**asdict(problem.model), "hidden": list(problem.model.hidden)},
        "epochs": problem.epochs,
        "seed": problem.seed,
        "points": problem.points,
        "runs": [run_public(r) for r in problem.runs],
    }
    if plane is not None:
        out["plane"] = asdict(plane)
    return out


# --- trained runs, cached per worker -----------------------------------------------------------------


def training_key(problem: NetworkProblem) -> bytes:
    """What a training depends on: the resolved request without its plane."""
    return orjson.dumps(resolved(problem, None), option=orjson.OPT_SORT_KEYS)


def training_bytes(training: Training) -> int:
    """About the memory a finished training holds: its arrays, and its lists of Python floats (32
    bytes each: the float and its pointer)."""
    arrays = [training.init, training.data.x_train, training.data.y_train, training.data.x_test, training.data.y_test]
    values = 0
    for r in training.results:
        arrays += [r.final, r.thetas]
        values += sum(len(v) for v in (r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy, r.batch_loss))
        values += len(r.lr) + len(r.steps)
    return sum(int(a.nbytes) for a in arrays) + 32 * values + 16_384


class TrainingCache(Memory[Training, Training]):
    """Finished trainings by `training_key`, counted by `training_bytes`; a training larger than
    the bound is not kept."""

    def _store(self, value: Training) -> Training:
        return value

    def _load(self, stored: Training) -> Training:
        return stored

    def _size(self, key: bytes, stored: Training) -> int:
        return training_bytes(stored)


TRAINING_CACHE_BYTES = 64_000_000  # per worker: a few dozen default trainings, or one at the limits
TRAININGS = TrainingCache(TRAINING_CACHE_BYTES)


def trained(problem: NetworkProblem) -> tuple[Training, bool]:
    """The finished training of ``problem`` and whether it came from the cache; trained (under the
    caller's deadline) and cached when not there."""
    key = training_key(problem)
    hit = TRAININGS.get(key)
    if hit is not None:
        return hit, True
    training = train(problem)
    TRAININGS.put(key, training)
    return training, False


# --- the warm-up: the default lesson trained at start-up ------------------------------------------------

WARM_UP_SECONDS = 10.0  # the whole warm-up's deadline (the default lesson takes about 0.7 s a body)
WARM_UP_EPOCHS = 25  # epochs per chunk: a stop request is seen within a few milliseconds


def warm_up(bodies: Iterable[dict[str, Any]], stop: threading.Event, seconds: float = WARM_UP_SECONDS) -> int:
    """Train each POST /api/v1/networks body (a lesson's request) into this worker's cache of
    trained runs, so that the page that opens on it gets its landscape without waiting for the
    training. Bounded (its own deadline, each body's estimate admitted, the cache's byte bound) and
    cancellable (``stop`` is checked between chunks of `WARM_UP_EPOCHS` epochs). Bodies already
    cached are skipped. Returns how many were trained."""
    done = 0
    with _deadline.within(seconds):
        for body in bodies:
            problem, _ = build_network_problem(NetworkRequest.model_validate(body))
            key = training_key(problem)
            if key in TRAININGS:
                continue
            training = Training(problem)
            while not training.done:
                if stop.is_set():
                    return done
                training.advance(WARM_UP_EPOCHS)
            TRAININGS.put(key, training)
            done += 1
    return done


# --- the answer ------------------------------------------------------------------------------------


def head(training: Training, plane: PlaneConfig | None) -> Answer:
    """What the answer says before any run trains: the request, P, the layout, the data, the init."""
    data = training.data
    return {
        "request": resolved(training.problem, plane),
        "parameters": training.net.size,
        "layout": [{"name": layer.name, "shape": list(layer.shape)} for layer in training.net.layout],
        "data": {
            "train": {"x": data.x_train, "y": data.y_train.astype(np.int64)},
            "test": {"x": data.x_test, "y": data.y_test.astype(np.int64)},
        },
        "init": training.init,
    }


PER_EPOCH = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
PER_UPDATE = ("batch_loss", "lr")
PATH_FIELDS = ("a", "b", "loss", "plane_loss", "off_plane")


def plane_part(training: Training, plane: PlaneConfig, progress: Progress | None = None) -> Answer:
    """The plane, and each run's path on it: ``{"plane": {…}, "runs": [{"path": {a, b, loss,
    plane_loss, off_plane}, "captured", "fidelity"}]}`` (the stream's ``plane`` event, the plane
    endpoint's answer); ``fidelity``: the engine's other figures of the path (its largest distance
    from the plane and loss gap, whether it is mostly off the plane, the warning's catalogue key)."""
    land = landscape(plane, training, progress)
    extras = {k: v for k, v in land.items() if k not in ("plane", "paths", "captured")}
    runs = [
        {
            "path": {k: path[k] for k in PATH_FIELDS},
            "captured": captured,
            "fidelity": {k: v for k, v in path.items() if k not in (*PATH_FIELDS, "step", "captured")},
        }
        for path, captured in zip(land["paths"], land["captured"], strict=True)
    ]
    return {"plane": {**land["plane"], **extras}, "runs": runs}


def run_answer(cfg: Any, result: Any) -> Answer:
    """A run's values from its result (all but its plane part)."""
    out = run_public(cfg)
    out.update({k: getattr(result, k) for k in (*PER_EPOCH, *PER_UPDATE)})
    out["status"] = result.status
    out["steps_taken"] = result.steps_taken
    out.update(_switches(cfg, result))
    out["final"] = result.final
    out["path"] = {"step": result.steps, "params": result.thetas[: len(result.steps)]}
    return out


def _switches(cfg: Any, result: Any) -> Answer:
    """A chained run's ``switches``: the updates at which a later link took over (absent without a chain)."""
    return {"switches": list(result.switches)} if cfg.switches else {}


def answer_of(training: Training, plane: PlaneConfig) -> Answer:
    """The JSON answer of a finished training on ``plane``."""
    part = plane_part(training, plane)
    runs = []
    for cfg, result, on_plane in zip(training.problem.runs, training.results, part["runs"], strict=True):
        run = run_answer(cfg, result)
        run["path"].update(on_plane["path"])
        run["captured"] = on_plane["captured"]
        run["fidelity"] = on_plane["fidelity"]
        runs.append(run)
    return {**head(training, plane), "runs": runs, "plane": part["plane"]}


def network_answer(problem: NetworkProblem, plane: PlaneConfig) -> Answer:
    """POST /api/v1/networks: every run trained to the end (or taken from the cache), on ``plane``."""
    training, _ = trained(problem)
    return answer_of(training, plane)


def plane_answer(problem: NetworkProblem, plane: PlaneConfig) -> Answer:
    """POST /api/v1/networks/plane: only the plane and each run's path on it, from the cached
    training of the same body when this worker has it, else trained again."""
    training, cached = trained(problem)
    return {**plane_part(training, plane), "cached": cached}


# --- the stream ------------------------------------------------------------------------------------

FIRST_CHUNK_SECONDS = 0.05  # the first slice's estimated work: the first curves reach the page at once
MAX_CHUNK_SECONDS = 0.5  # later slices double up to this


class NetworkStream:
    """Trains a problem a chunk of epochs at a time, then its plane.

    ``meta()`` is the answer's head; ``next_events()`` advances every run by the next chunk of epochs
    and returns one ``epochs`` slice per run: its new per-epoch values (``from``: the epoch index of
    the first), its new per-update values and its new recorded path points (``step``, ``params``);
    ``plane(progress)`` the ``plane`` event; ``done_event()`` each run's status, updates and final
    parameters. The head, the slices joined in order, the plane event and the done event give
    exactly the JSON answer of `network_answer`.
    """

    def __init__(self, problem: NetworkProblem, plane: PlaneConfig) -> None:
        self.problem, self.plane_config = problem, plane
        hit = TRAININGS.get(training_key(problem))
        self.training = hit if hit is not None else Training(problem)  # admits the training's estimate
        self.cached = hit is not None
        runs = len(problem.runs)
        self._epochs, self._updates, self._points = [0] * runs, [0] * runs, [0] * runs
        per_epoch = training_estimate(problem) / max(problem.epochs, 1)
        self._per_epoch = max(per_epoch, 1e-9)
        self._chunk = self._epochs_for(FIRST_CHUNK_SECONDS)

    def _epochs_for(self, seconds: float) -> int:
        return max(1, int(seconds / self._per_epoch))

    @property
    def chunk_work(self) -> float:
        """The next chunk's estimated seconds (its place in the queue)."""
        return self._chunk * self._per_epoch

    @property
    def finished(self) -> bool:
        return self.training.done and all(
            e == len(r.train_loss) for e, r in zip(self._epochs, self.training.results, strict=True)
        )

    @property
    def fraction(self) -> float:
        return self.training.epoch / max(self.problem.epochs, 1)

    def meta(self) -> Answer:
        return head(self.training, self.plane_config)

    def next_events(self) -> list[Answer]:
        if not self.training.done:
            self.training.advance(self._chunk)
            self._chunk = max(self._chunk, min(2 * self._chunk, self._epochs_for(MAX_CHUNK_SECONDS)))
        return [ev for i in range(len(self.training.results)) if (ev := self._slice(i)) is not None]

    def _slice(self, i: int) -> Answer | None:
        r = self.training.results[i]
        e, u, p = self._epochs[i], self._updates[i], self._points[i]
        if e == len(r.train_loss) and u == len(r.lr) and p == len(r.steps):
            return None
        ev: Answer = {"run": i, "from": e}
        ev.update({k: getattr(r, k)[e:] for k in PER_EPOCH})
        ev.update({k: getattr(r, k)[u:] for k in PER_UPDATE})
        ev["path"] = {"step": r.steps[p:], "params": r.thetas[p : len(r.steps)]}
        self._epochs[i], self._updates[i], self._points[i] = len(r.train_loss), len(r.lr), len(r.steps)
        return ev

    def plane(self, progress: Progress | None = None) -> Answer:
        """The ``plane`` event; the finished training goes into the cache first."""
        if not self.cached:
            TRAININGS.put(training_key(self.problem), self.training)
        return plane_part(self.training, self.plane_config, progress)

    def done_event(self) -> Answer:
        return {
            "runs": [
                {"status": r.status, "steps_taken": r.steps_taken, **_switches(cfg, r), "final": r.final}
                for cfg, r in zip(self.problem.runs, self.training.results, strict=True)
            ]
        }


# --- the catalogue -----------------------------------------------------------------------------------


def _texts(entries: list[Answer], prefix: str, lang: str) -> list[Answer]:
    """The entries with their texts in ``lang`` from the message catalogue (``<prefix>.<id>.<field>``:
    ``plane.pca.name``, ``network.data.moons.description``…; the engine's English where there is none)."""
    table = messages(lang)
    return [{**e, **{f: table.get(f"{prefix}.{e['id']}.{f}", e.get(f, "")) for f in TEXTS if f in e}} for e in entries]


TEXTS = ("name", "shape", "description")


def _named(entry: str) -> Answer:
    """An entry known by its id alone: its texts are the catalogue's."""
    return {"id": entry, "name": entry, "description": ""}


def catalogue(lang: str, limits: dict[str, Any]) -> Answer:
    """What the network page builds its controls from: data sets, activations, inits, planes (with
    their texts in ``lang``), the network limits and a ready body (the course's assignment)."""
    return {
        "data_sets": _texts([d.public() for d in DATA_SETS.values()], "network.data", lang),
        "activations": _texts([_named(i) for i in ACTIVATIONS], "network.activation", lang),
        "inits": _texts([_named(i) for i in INITS], "network.init", lang),
        "planes": _texts([p.public() for p in PLANES.values()], "plane", lang),
        "limits": limits,
        "example": NETWORK_EXAMPLE,
    }
