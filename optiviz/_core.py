"""`run` (in process) and `Client` (over HTTP): the same request, the same answer, a `Result`."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack
from urllib.parse import urlencode

import numpy as np
import orjson

from optiviz import _server
from optiviz._colors import Style, run_styles

if TYPE_CHECKING:
    import plotly.graph_objects as go


class _Palette(Protocol):
    """Where the colours come from: each optimizer's (``GET /api/v1/optimizers``) and the rule's data
    (``GET /api/v1/run_colors``)."""

    def colors(self) -> dict[str, str]: ...

    def run_colors(self) -> dict[str, Any]: ...


class _Source(_Palette, Protocol):
    """Where a `Result`'s further answers come from: this process (`_Local`) or a server (`Client`)."""

    def grid(self, surface: Any, n: int) -> dict[str, Any]: ...


def styles(source: _Palette, runs: list[dict[str, Any]]) -> list[Style]:
    """Each run's colour and dash (``runs``: ``{"optimizer": id}`` each), as the studio draws them: the
    first run of an optimizer in its colour, every further run in a colour of its own (optiviz/_colors.py)."""
    return run_styles(runs, source.colors(), source.run_colors())


class ValidationError(ValueError):
    """The request was refused: ``errors`` lists each field (``loc``) and why (``msg``), as the
    API's 422 ``detail`` does; the message names the first fields."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:3])
            + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
        )


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


class Options(TypedDict, total=False):
    """The request's further fields (`run`, `Client.run`, `request_body`); omitted (or None,
    include_state False): the API's defaults."""

    start: Any  # [x, y]
    steps: int
    seed: int
    tolerance: float
    include_state: bool


def request_body(surface: Any, runs: list[dict[str, Any]], **options: Unpack[Options]) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/trajectories`` for these arguments (omitted ones: the API's
    defaults). NumPy scalars and arrays become plain JSON numbers and lists."""
    unknown = sorted(options.keys() - Options.__annotations__.keys())
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}")
    body: dict[str, Any] = {"surface": surface, "runs": runs}
    for key in Options.__annotations__:  # in the order declared
        value = options.get(key)
        if value is not None and value is not False:
            body[key] = value
    # exactly what a client sends: JSON (NumPy values as numbers; NaN refused by the schema as null)
    sent: dict[str, Any] = orjson.loads(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))
    return sent


@dataclass
class RunResult:
    """One run: the path (``x``, ``y``, ``loss``: one value per point, the start included) and the
    updates (``lr``, ``grad_norm``: one per update), as float64 NumPy arrays (NaN where the API
    sends null), with the run's resolved settings."""

    label: str
    optimizer: str
    params: dict[str, Any]
    schedule: dict[str, Any]
    noise_std: float
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    status: str
    steps_taken: int
    batch_size: int | None = None
    batch_loss: np.ndarray | None = None
    momentum: np.ndarray | None = None  # per update, when the schedule cycles it (one_cycle cycle_momentum)
    state: dict[str, np.ndarray | None] | None = None  # internals per update (include_state=True)
    # closure optimizers (L-BFGS): every loss evaluation, {"step", "x", "y", "loss"} (step: ints)
    evals: dict[str, np.ndarray] | None = None
    # an optimizer chain (the run's ``optimizers``): its links resolved, and the updates at which a later one took over
    optimizers: list[dict[str, Any]] | None = None
    switches: list[int] | None = None
    swats: dict[str, Any] | None = None  # a SWATS chain: {"step", "lr"} its criterion found (None: it never fired)

    @classmethod
    def from_public(cls, run: dict[str, Any]) -> RunResult:
        arr = _floats
        state = run.get("state")
        return cls(
            label=run["label"],
            optimizer=run["optimizer"],
            params=run["params"],
            schedule=run["schedule"],
            noise_std=run["noise_std"],
            x=arr(run["x"]),
            y=arr(run["y"]),
            loss=arr(run["loss"]),
            lr=arr(run["lr"]),
            grad_norm=arr(run["grad_norm"]),
            status=run["status"],
            steps_taken=run["steps_taken"],
            batch_size=run.get("batch_size"),
            batch_loss=None if run.get("batch_loss") is None else arr(run["batch_loss"]),
            momentum=None if run.get("momentum") is None else arr(run["momentum"]),
            state=None if state is None else {k: None if v is None else arr(v) for k, v in state.items()},
            evals=None
            if run.get("evals") is None
            else {k: np.asarray(v, dtype=np.int64) if k == "step" else arr(v) for k, v in run["evals"].items()},
            optimizers=run.get("optimizers"),
            switches=run.get("switches"),
            swats=run.get("swats"),
        )

    def __repr__(self) -> str:
        final = float(self.loss[-1]) if len(self.loss) else float("nan")
        return (
            f"RunResult(label={self.label!r}, optimizer={self.optimizer!r}, status={self.status!r}, "
            f"steps_taken={self.steps_taken}, final=({float(self.x[-1]):.6g}, {float(self.y[-1]):.6g}), "
            f"loss={final:.6g})"
        )

    def public(self) -> dict[str, Any]:
        """The run as the API's JSON answer holds it (same keys, same order)."""
        out: dict[str, Any] = {
            "label": self.label,
            "optimizer": self.optimizer,
            "params": self.params,
            "schedule": self.schedule,
            "noise_std": self.noise_std,
        }
        if self.batch_size is not None:
            out["batch_size"] = self.batch_size
        out.update(x=self.x, y=self.y, loss=self.loss, lr=self.lr, grad_norm=self.grad_norm)
        out.update((k, v) for k in ("batch_loss", "momentum", "state", "evals") if (v := getattr(self, k)) is not None)
        out["status"], out["steps_taken"] = self.status, self.steps_taken
        return out


def _floats(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float, copy=False)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass
class Result:
    """The answer to one trajectories request: ``surface`` (the catalogue's description of it),
    ``runs`` (one `RunResult` each) and ``request`` (the body that was sent)."""

    request: dict[str, Any]
    surface: dict[str, Any]
    runs: list[RunResult]
    _source: _Source | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        name = self.surface.get("expression") or self.surface.get("id")
        runs = "".join(f"\n  {r!r}," for r in self.runs)
        return f"Result(surface={name!r}, start={self.start}, runs=[{runs}\n])"

    @property
    def start(self) -> tuple[float, float]:
        return float(self.runs[0].x[0]), float(self.runs[0].y[0])

    def public(self) -> dict[str, Any]:
        """The answer as ``POST /api/v1/trajectories`` gives it (arrays as NumPy)."""
        return {"surface": self.surface, "runs": [r.public() for r in self.runs]}

    def to_json(self) -> bytes:
        """The answer's bytes, encoded as the server encodes them (strict JSON: null for NaN)."""
        return orjson.dumps(self.public(), option=orjson.OPT_SERIALIZE_NUMPY)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per point of every run (``pandas.DataFrame(result.to_records())``): run index,
        label, optimizer, step t, x, y, loss, and the update from that point (lr, grad_norm; NaN
        at a run's last point)."""
        out = []
        for i, r in enumerate(self.runs):
            n_upd = len(r.lr)
            for t in range(len(r.x)):
                out.append(
                    {
                        "run": i,
                        "label": r.label,
                        "optimizer": r.optimizer,
                        "t": t,
                        "x": float(r.x[t]),
                        "y": float(r.y[t]),
                        "loss": float(r.loss[t]),
                        "lr": float(r.lr[t]) if t < n_upd else float("nan"),
                        "grad_norm": float(r.grad_norm[t]) if t < n_upd else float("nan"),
                    }
                )
        return out

    def grid(self, n: int = 120) -> dict[str, Any]:
        """The surface's values on an n × n grid, from the same service as ``POST /api/v1/grid``."""
        return self._answers().grid(self.request["surface"], n)

    def colors(self) -> dict[str, str]:
        """Each optimizer's colour from the registry (``GET /api/v1/optimizers``)."""
        return self._answers().colors()

    def styles(self) -> list[Style]:
        """Each run's ``{"color", "dash"}`` as the figure and the studio draw it: every run its own
        colour, the k-th run of an optimizer the k-th dash."""
        return styles(self._answers(), [{"optimizer": r.optimizer} for r in self.runs])

    def _answers(self) -> _Source:
        if self._source is None:
            raise RuntimeError("this Result has no source of answers (optiviz.run and Client.run give it one)")
        return self._source

    def figure(self, n: int = 120) -> go.Figure:
        """A plotly ``Figure``: the surface's contour map with every path, and the loss per step
        beside it (one legend entry per run toggles both)."""
        from optiviz._figure import figure

        return figure(self, n)

    def studio_url(self, base: str) -> str:
        """The studio's permalink (``base``: where the studio is served) that opens this comparison."""
        return studio_url(self, base)


def studio_url(res: Result, base: str) -> str:
    """The studio's permalink for this comparison, with the keys the studio reads (app/permalink.py,
    served to it as ``GET /api/v1/permalink``); values written as static/js/state.js writes them."""
    permalink = _server.module("permalink")
    RUN_KEYS, STATE_KEYS = permalink.RUN_KEYS, permalink.STATE_KEYS

    req = res.request
    surface = req["surface"]
    q: list[tuple[str, str]] = []
    if isinstance(surface, str):
        q.append((STATE_KEYS["surface"], surface))
    else:
        q.append((STATE_KEYS["surface"], "custom"))
        q.append((STATE_KEYS["expr"], surface["expression"]))
        for key, prop in (("x_range", "xr"), ("y_range", "yr")):
            if key in surface:
                q.append((STATE_KEYS[prop], ",".join(_num(v) for v in surface[key])))
    if req.get("start") is not None:
        q.append((STATE_KEYS["start"], ",".join(_num(v) for v in req["start"])))
    for key, prop in (("steps", "steps"), ("seed", "seed"), ("tolerance", "tolerance")):
        if key in req:
            q.append((STATE_KEYS[prop], _num(req[key])))
    runs = []
    for asked, done in zip(req["runs"], res.runs, strict=True):
        o: dict[str, Any] = {RUN_KEYS["optimizer"]: done.optimizer, RUN_KEYS["params"]: done.params}
        sched = done.schedule
        if sched["name"] != "constant" or sched["warmup_steps"] or sched.get("chain"):
            o[RUN_KEYS["schedule"]] = sched
        if asked.get("batch_size"):
            o[RUN_KEYS["batch_size"]] = asked["batch_size"]
        if done.noise_std:
            o[RUN_KEYS["noise_std"]] = done.noise_std
        if asked.get("label"):
            o[RUN_KEYS["label"]] = asked["label"]
        if done.optimizers:  # an optimizer chain: its switches (the links after the run's own optimizer)
            o[RUN_KEYS["links"]] = done.optimizers[1:]
        runs.append(o)
    q.append((STATE_KEYS["runs"], orjson.dumps(runs).decode()))
    return base.split("#", 1)[0].rstrip("/") + "/#" + urlencode(q)


def _num(v: Any) -> str:
    """A number as JavaScript's String(v) writes it for the values a request holds."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


# --- where the answers come from -------------------------------------------------------------------


class _Local:
    """In this process: the REST API's request model and service layer, without HTTP."""

    def trajectories(self, body: dict[str, Any]) -> dict[str, Any]:
        service = _server.module("api.service")
        try:
            problem = service.build_problem(self._validate("TrajectoryRequest", body))
        except service.InvalidRequest as err:  # a check across fields (the API's 422 too)
            raise ValidationError(err.errors()) from None
        answer: dict[str, Any] = service.trajectories(problem, arrays=True)
        return answer

    def grid(self, surface: Any, n: int) -> dict[str, Any]:
        answer: dict[str, Any] = _server.module("api.service").grid(
            self._validate("GridRequest", {"surface": surface, "n": n})
        )
        return answer

    def colors(self) -> dict[str, str]:
        return _server.optimizer_colors()

    def run_colors(self) -> dict[str, Any]:
        palette: dict[str, Any] = _server.module("registry").RUN_COLORS
        return palette

    @staticmethod
    def _validate(model: str, body: dict[str, Any]) -> Any:
        import pydantic

        schemas, service = _server.module("api.schemas"), _server.module("api.service")
        try:
            return getattr(schemas, model).model_validate(body)
        except pydantic.ValidationError as err:
            raise ValidationError(
                [{"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"]} for e in err.errors()]
            ) from None
        except service.InvalidRequest as err:
            raise ValidationError(err.errors()) from None


def run(surface: Any, runs: list[dict[str, Any]], **options: Unpack[Options]) -> Result:
    """Run optimizers on a surface in this process, as ``POST /api/v1/trajectories`` would.

    ``surface``: a built-in id (``"rosenbrock"``) or ``{"expression": "x^2 + 10*y^2", "x_range":
    [-3, 3], "y_range": [-3, 3]}``; ``runs``: ``[{"optimizer": "adam", "params": {"lr": 0.05}}, …]``
    (also ``label``, ``schedule``, ``batch_size``, ``noise_std``); the `Options` ``start``, ``steps``,
    ``seed``, ``tolerance``, and ``include_state``: each run's internals per update in ``state``.
    Raises `ValidationError` for what the API answers with 422.
    """
    body = request_body(surface, runs, **options)
    return _result(body, _LOCAL.trajectories(body), _LOCAL)


def _result(body: dict[str, Any], answer: dict[str, Any], source: Any) -> Result:
    return Result(
        request=body, surface=answer["surface"], runs=[RunResult.from_public(r) for r in answer["runs"]], _source=source
    )


_LOCAL = _Local()


class Client:
    """The same as `run`, asked of an optiviz server over HTTP (stdlib urllib; strict JSON; gzip).

    >>> Client("http://127.0.0.1:8000/").base_url
    'http://127.0.0.1:8000'
    """

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._colors: dict[str, str] | None = None
        self._run_colors: dict[str, Any] | None = None

    def run(self, surface: Any, runs: list[dict[str, Any]], **options: Unpack[Options]) -> Result:
        """As `optiviz.run`, computed by the server."""
        body = request_body(surface, runs, **options)
        return _result(body, self._call("POST", "/api/v1/trajectories", body), self)

    def grid(self, surface: Any, n: int) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/api/v1/grid", {"surface": surface, "n": n})
        return answer

    def colors(self) -> dict[str, str]:
        if self._colors is None:
            self._colors = {o["id"]: o["color"] for o in self._call("GET", "/api/v1/optimizers")}
        return self._colors

    def run_colors(self) -> dict[str, Any]:
        if self._run_colors is None:
            self._run_colors = self._call("GET", "/api/v1/run_colors")
        return self._run_colors

    def studio_url(self, result: Result) -> str:
        return result.studio_url(self.base_url)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return _decode(*self._send(method, path, body))

    def _send(
        self, method: str, path: str, body: Any = None, accept: str = "application/json"
    ) -> tuple[bytes, str | None]:
        """The answer's bytes and content encoding; the API's errors raised (a 422 as `ValidationError`)."""
        data = None if body is None else orjson.dumps(body)
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"accept": accept, "accept-encoding": "gzip", "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw, encoding = resp.read(), resp.headers.get("content-encoding")
        except urllib.error.HTTPError as err:
            raw, encoding = err.read(), err.headers.get("content-encoding")
            detail = _decode(raw, encoding, strict=False)
            if err.code == 422 and isinstance(detail, dict) and isinstance(detail.get("detail"), list):
                raise ValidationError(detail["detail"]) from None
            msg = detail.get("detail") if isinstance(detail, dict) else None
            raise RuntimeError(f"{method} {path}: HTTP {err.code}: {msg or err.reason}") from None
        return raw, encoding

    def __repr__(self) -> str:
        return f"optiviz.Client({self.base_url!r})"


def _decode(raw: bytes, encoding: str | None, strict: bool = True) -> Any:
    raw = unzipped(raw, encoding)
    try:
        return orjson.loads(raw)  # strict: refuses NaN / Infinity
    except orjson.JSONDecodeError:
        if strict:
            raise
        return None


def unzipped(raw: bytes, encoding: str | None) -> bytes:
    """An answer's bytes without their gzip content encoding."""
    return gzip.decompress(raw) if encoding == "gzip" else raw
