"""`train` (in process) and `Client.train` (over HTTP): a network request, its answer, a `NetworkResult`.

The same body as ``POST /api/v1/networks`` (the contract's section "Networks"): a data set, an MLP,
epochs, the mini-batch seed, runs with the studio's fields, and a plane. In process it goes through
the REST API's request model and service layer (`app.api.schemas_networks`,
`app.api.service_networks`), so the validation, the numbers and the bytes are the server's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack

import numpy as np
import orjson

from optiviz import _core, _server
from optiviz._colors import Style
from optiviz._core import ValidationError, _floats

if TYPE_CHECKING:
    import plotly.graph_objects as go


class NetworkOptions(TypedDict, total=False):
    """The request's fields besides ``runs`` (`train`, `Client.train`, `network_body`); omitted (or
    None): the API's defaults. ``data`` may be a data set's id alone (``"moons"``)."""

    data: Any  # {"name", "samples", "noise", "test_fraction", "seed"} or a name
    model: Any  # {"hidden", "activation", "init", "seed"}
    epochs: int
    seed: int  # the mini-batch order
    points: int  # the most recorded points (parameter vectors) per run
    plane: Any  # {"kind", "n", ...} or a kind


def network_body(runs: list[dict[str, Any]], **options: Unpack[NetworkOptions]) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/networks`` for these arguments (omitted ones: the API's
    defaults); a bare data set name or plane kind becomes ``{"name": …}`` / ``{"kind": …}``."""
    unknown = sorted(options.keys() - NetworkOptions.__annotations__.keys())
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}")
    body: dict[str, Any] = {}
    for key in NetworkOptions.__annotations__:  # in the request model's order: runs after the seed
        if key == "points":
            body["runs"] = runs
        value = options.get(key)
        if isinstance(value, str) and key in ("data", "plane"):
            value = {"name" if key == "data" else "kind": value}
        if value is not None:
            body[key] = value
    sent: dict[str, Any] = orjson.loads(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))
    return sent


_EPOCH_KEYS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
_PATH_KEYS = ("a", "b", "loss", "plane_loss", "off_plane")


@dataclass
class NetworkRun:
    """One run: per epoch (index 0 at the init) the train / test loss and accuracy; per update the
    mini-batch loss and the lr; the final parameters; the recorded ``path`` on the plane (``step``
    as ints, ``a``, ``b``, ``loss``, ``plane_loss``, ``off_plane`` as float64 arrays, NaN where the
    API sends null; ``params``: the parameters there, one row each), ``captured``, the share of the
    run's displacement the plane shows, and the plane's other ``fidelity`` figures of the path; a
    run with an optimizer chain: its resolved ``optimizers`` and its ``switches`` (else None)."""

    label: str
    optimizer: str
    params: dict[str, Any]
    status: str
    steps_taken: int
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    batch_loss: np.ndarray
    lr: np.ndarray
    final: np.ndarray
    path: dict[str, np.ndarray]
    captured: float | None
    fidelity: dict[str, Any] = field(default_factory=dict)  # the plane's other figures of this path
    # an optimizer chain (the run's ``optimizers``): its links resolved, and the updates at which a later one took over
    optimizers: list[dict[str, Any]] | None = None
    switches: list[int] | None = None

    @classmethod
    def from_public(cls, run: dict[str, Any]) -> NetworkRun:
        path = run["path"]
        return cls(
            label=run["label"],
            optimizer=run["optimizer"],
            params=run["params"],
            status=run["status"],
            steps_taken=run["steps_taken"],
            **{k: _floats(run[k]) for k in (*_EPOCH_KEYS, "batch_loss", "lr", "final")},
            path={
                "step": np.asarray(path["step"], dtype=np.int64),
                **{k: _floats(path[k]) for k in _PATH_KEYS},
                **({"params": _grid(path["params"])} if "params" in path else {}),
            },
            captured=run.get("captured"),
            fidelity=run.get("fidelity") or {},
            optimizers=run.get("optimizers"),
            switches=run.get("switches"),
        )

    def __repr__(self) -> str:
        return (
            f"NetworkRun(label={self.label!r}, optimizer={self.optimizer!r}, status={self.status!r}, "
            f"steps_taken={self.steps_taken}, train_loss={_last(self.train_loss):.6g}, "
            f"test_accuracy={_last(self.test_accuracy):.6g})"
        )


def _last(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else float("nan")


class _NetworkSource(_core._Palette, Protocol):
    """Where a `NetworkResult`'s further answers come from: this process or a server."""

    def network_plane(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def network_script(self, body: dict[str, Any]) -> str: ...


@dataclass
class NetworkResult:
    """The answer to one network request. ``answer`` is the API's JSON answer as sent (lists);
    the attributes are its parts as NumPy: ``parameters`` (P), ``layout`` (``[{"name", "shape"}]``,
    torch ``nn.Sequential`` order), ``init`` (P), ``x_train``, ``y_train``, ``x_test``, ``y_test``,
    ``runs`` (one `NetworkRun` each) and ``plane`` (``kind``, ``origin``, ``directions``, ``a``,
    ``b``, ``loss`` and the fidelity numbers, arrays as NumPy)."""

    request: dict[str, Any]
    answer: dict[str, Any] = field(repr=False)
    _source: _NetworkSource | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        a = self.answer
        self.parameters: int = a["parameters"]
        self.layout: list[dict[str, Any]] = a["layout"]
        self.init = _floats(a["init"])
        self.x_train, self.y_train = _xy(a["data"]["train"])
        self.x_test, self.y_test = _xy(a["data"]["test"])
        self.runs = [NetworkRun.from_public(r) for r in a["runs"]]
        self.plane: dict[str, Any] = {
            k: _floats(v) if k in ("origin", "a", "b") else _grid(v) if k in ("directions", "loss") else v
            for k, v in a["plane"].items()
        }

    def __repr__(self) -> str:
        runs = "".join(f"\n  {r!r}," for r in self.runs)
        return f"NetworkResult(parameters={self.parameters}, plane={self.plane['kind']!r}, runs=[{runs}\n])"

    def to_json(self) -> bytes:
        """The answer's bytes, encoded as the server encodes them (strict JSON)."""
        return orjson.dumps(self.answer, option=orjson.OPT_SERIALIZE_NUMPY)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per epoch of every run (``pandas.DataFrame(result.to_records())``): run index,
        label, optimizer, epoch, train / test loss and accuracy (NaN where the API sends null)."""
        return [
            {"run": i, "label": r.label, "optimizer": r.optimizer, "epoch": e}
            | {k: float(getattr(r, k)[e]) for k in _EPOCH_KEYS}
            for i, r in enumerate(self.runs)
            for e in range(len(r.train_loss))
        ]

    def with_plane(self, plane: str | dict[str, Any]) -> NetworkResult:
        """The same runs on another plane (``"random"`` or ``{"kind": "line", "run": 1}``), from
        ``POST /api/v1/networks/plane``: the server's cache of the trained runs, else retrained."""
        body = dict(self.request, plane={"kind": plane} if isinstance(plane, str) else plane)
        if self._source is None:
            raise RuntimeError("this NetworkResult has no source of answers (optiviz.train gives it one)")
        part = self._source.network_plane(body)
        answer = dict(self.answer, plane=part["plane"])
        answer["runs"] = [
            {**r, **on_plane, "path": {**r["path"], **on_plane["path"]}}
            for r, on_plane in zip(self.answer["runs"], part["runs"], strict=True)
        ]
        return NetworkResult(request=body, answer=answer, _source=self._source)

    def torch_script(self) -> str:
        """The request as a runnable PyTorch script (``POST /api/v1/networks/export``): run with
        ``--json`` it prints every run's per-epoch losses, the same as these to ~1e-9 (float64)."""
        if self._source is None:
            raise RuntimeError("this NetworkResult has no source of answers (optiviz.train gives it one)")
        return self._source.network_script(self.request)

    def colors(self) -> dict[str, str]:
        """Each optimizer's colour from the registry."""
        return {} if self._source is None else self._source.colors()

    def styles(self) -> list[Style]:
        """Each run's ``{"color", "dash"}`` as the figure draws it: every run its own colour, the k-th run
        of an optimizer the k-th dash."""
        source = self._source if self._source is not None else _LOCAL
        return _core.styles(source, self.answer["runs"])

    def figure(self) -> go.Figure:
        """A plotly ``Figure``: the plane's loss contour with every run's path (its start a circle),
        and each run's train (solid) and test (dotted) loss per epoch; one legend entry per run
        toggles its traces."""
        from optiviz._figure import network_figure

        return network_figure(self.answer, self.styles())


def _xy(part: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(part["x"], dtype=float).reshape(-1, 2), _floats(part["y"])


def _grid(rows: Any) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


class _LocalNetworks:
    """In this process: the REST API's request model and network service, without HTTP."""

    def networks(self, body: dict[str, Any]) -> dict[str, Any]:
        service = _server.module("api.service_networks")
        problem, plane = self._problem(body)
        answer: dict[str, Any] = service.network_answer(problem, plane)
        return _plain(answer)

    def network_plane(self, body: dict[str, Any]) -> dict[str, Any]:
        service = _server.module("api.service_networks")
        problem, plane = self._problem(body)
        answer: dict[str, Any] = service.plane_answer(problem, plane)
        return _plain(answer)

    def network_script(self, body: dict[str, Any]) -> str:
        export = _server.module("export.network")
        problem, _ = self._problem(body)
        try:
            script: str = export.torch_network_script(problem)
        except export.RunNotExportable as err:  # the API's 422
            raise ValidationError([{"loc": ("body", "runs", err.index, "optimizer"), "msg": str(err)}]) from None
        return script

    def colors(self) -> dict[str, str]:
        return _core._LOCAL.colors()

    def run_colors(self) -> dict[str, Any]:
        return _core._LOCAL.run_colors()

    @staticmethod
    def _problem(body: dict[str, Any]) -> Any:
        import pydantic

        schemas, service = _server.module("api.schemas_networks"), _server.module("api.service_networks")
        invalid = _server.module("api.service").InvalidRequest
        try:
            return service.build_network_problem(schemas.NetworkRequest.model_validate(body))
        except pydantic.ValidationError as err:
            raise ValidationError(
                [{"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"]} for e in err.errors()]
            ) from None
        except invalid as err:
            raise ValidationError(err.errors()) from None


def _plain(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as a client decodes it (plain lists and numbers, null for NaN)."""
    plain: dict[str, Any] = orjson.loads(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY))
    return plain


_LOCAL = _LocalNetworks()


def train(runs: list[dict[str, Any]], **options: Unpack[NetworkOptions]) -> NetworkResult:
    """Train a small network with several optimizers from one init in this process, as
    ``POST /api/v1/networks`` would, and project every run onto one plane.

    ``runs``: ``[{"optimizer": "adam", "params": {"lr": 0.01}, "batch_size": 64}, …]`` (also
    ``schedule``, ``clip_norm``, ``clip_value``, ``label``, and an optimizer chain ``optimizers``:
    ``[{"optimizer": "adam", …}, {"milestone": 120, "optimizer": "sgd", …}]``, milestones in updates
    of that run); the `NetworkOptions` ``data``
    (``"moons"`` or ``{"name": "spirals", "samples": 400, …}``), ``model`` (``{"hidden": [16, 16],
    "activation": "tanh"}``), ``epochs``, ``seed``, ``points`` and ``plane`` (``"pca"`` or
    ``{"kind": …, "n": …}``).
    Raises `ValidationError` for what the API answers with 422.
    """
    body = network_body(runs, **options)
    return NetworkResult(request=body, answer=_LOCAL.networks(body), _source=_LOCAL)


class Client(_core.Client):
    """The server's answers over HTTP (`optiviz._core.Client`), with the network endpoints."""

    def train(self, runs: list[dict[str, Any]], **options: Unpack[NetworkOptions]) -> NetworkResult:
        """As `optiviz.train`, computed by the server (``POST /api/v1/networks``)."""
        body = network_body(runs, **options)
        return NetworkResult(request=body, answer=self._call("POST", "/api/v1/networks", body), _source=self)

    def network_plane(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/api/v1/networks/plane", body)
        return answer

    def network_script(self, body: dict[str, Any]) -> str:
        raw, encoding = self._send("POST", "/api/v1/networks/export", body, accept="text/x-python")
        return _core.unzipped(raw, encoding).decode("utf-8")
