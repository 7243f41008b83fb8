"""Command line: ``optiviz serve``, ``optiviz run REQUEST.json [--format json|csv]``,
``optiviz train NETWORK.json [--format json|csv] [--html FIGURE.html]``, ``optiviz warmup``.

``run`` gives the same answer as ``POST /api/v1/trajectories`` without a server (for scripts
and notebooks): the same validation, the same engine, the same bytes; ``train`` the same as
``POST /api/v1/networks``, or its figure (the Python API's, `optiviz.NetworkResult.figure`).

``warmup`` compiles the engine's kernels into their on-disk cache (the Docker build runs it);
``serve`` does it first, saying so, when the cache is empty (the first start of a fresh install).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import orjson


def _errors_text(errors: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        lines.append(f"{loc or 'request'}: {e.get('msg', '')}")
    return "\n".join(lines)


def answer(body: Any) -> dict[str, Any]:
    """The API's answer to a trajectories request body (raises ValueError with the reasons)."""
    from pydantic import ValidationError

    from .api.schemas import TrajectoryRequest
    from .api.service import InvalidRequest, build_problem, trajectories

    try:
        req = TrajectoryRequest.model_validate(body)
        problem = build_problem(req)
    except (ValidationError, InvalidRequest) as err:
        raise ValueError(_errors_text(err.errors())) from None
    return trajectories(problem)


def to_csv(result: dict[str, Any]) -> str:
    """One row per run and point: run, label, optimizer, t, x, y, loss, lr, grad_norm[, batch_loss]."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    batch = any("batch_loss" in r for r in result["runs"])
    w.writerow(
        ["run", "label", "optimizer", "t", "x", "y", "loss", "lr", "grad_norm"] + (["batch_loss"] if batch else [])
    )
    for i, r in enumerate(result["runs"]):
        n_upd = len(r["lr"])
        for t in range(len(r["x"])):
            upd = t < n_upd  # update t leaves point t; the last point has none
            row = [i, r["label"], r["optimizer"], t, repr(r["x"][t]), repr(r["y"][t]), repr(r["loss"][t])]
            row += [repr(r["lr"][t]) if upd else "", repr(r["grad_norm"][t]) if upd else ""]
            if batch:
                row.append(repr(r["batch_loss"][t]) if upd and "batch_loss" in r else "")
            w.writerow(row)
    return out.getvalue()


def _read_body(request: str) -> tuple[Any, int]:
    """The request file's JSON body (``-``: stdin), or the exit code 2 after saying why not."""
    try:
        raw = sys.stdin.buffer.read() if request == "-" else Path(request).read_bytes()
    except OSError as err:
        print(f"optiviz: cannot read {request}: {err.strerror}", file=sys.stderr)
        return None, 2
    try:
        return orjson.loads(raw), 0
    except orjson.JSONDecodeError as err:
        print(f"optiviz: {request} is not valid JSON: {err}", file=sys.stderr)
        return None, 2


def _run(args: argparse.Namespace) -> int:
    body, code = _read_body(args.request)
    if code:
        return code
    try:
        result = answer(body)
    except ValueError as err:
        print(f"optiviz: invalid request:\n{err}", file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.write(to_csv(result))
    else:
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return 0


def network_answer(body: Any) -> dict[str, Any]:
    """The API's answer to a network request body (``POST /api/v1/networks``; raises ValueError
    with the reasons)."""
    from pydantic import ValidationError

    from .api.schemas_networks import NetworkRequest
    from .api.service import InvalidRequest
    from .api.service_networks import build_network_problem
    from .api.service_networks import network_answer as answer_of

    try:
        problem, plane = build_network_problem(NetworkRequest.model_validate(body))
    except (ValidationError, InvalidRequest) as err:
        raise ValueError(_errors_text(err.errors())) from None
    out: dict[str, Any] = answer_of(problem, plane)
    return out


_EPOCH_COLUMNS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def network_csv(result: dict[str, Any]) -> str:
    """One row per run and epoch (0: the init): run, label, optimizer, epoch, train_loss,
    test_loss, train_accuracy, test_accuracy (empty where the answer has null)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["run", "label", "optimizer", "epoch", *_EPOCH_COLUMNS])
    for i, r in enumerate(result["runs"]):
        for e in range(len(r["train_loss"])):
            values = (r[k][e] for k in _EPOCH_COLUMNS)
            w.writerow([i, r["label"], r["optimizer"], e, *("" if v is None else repr(float(v)) for v in values)])
    return out.getvalue()


# the figure of a network answer as an HTML page: the Python API's (optiviz), which the `optiviz` command
# hands to `main` (the server's command line does not import the Python API)
NetworkHtml = Callable[[dict[str, Any]], str]


def _train(args: argparse.Namespace) -> int:
    body, code = _read_body(args.request)
    if code:
        return code
    if args.html and args.figure is None:
        print("optiviz: --html needs the Python API's figure: run it as the `optiviz` command", file=sys.stderr)
        return 2
    try:
        result = network_answer(body)
    except ValueError as err:
        print(f"optiviz: invalid request:\n{err}", file=sys.stderr)
        return 2
    if args.html:
        Path(args.html).write_text(args.figure(result), encoding="utf-8")
        print(f"optiviz: wrote the figure to {args.html}", file=sys.stderr)
    elif args.format == "csv":
        sys.stdout.write(network_csv(result))
    else:
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    return 0


def _compile_kernels() -> None:
    from .engine.kernels import CACHE_DIR
    from .engine.kernels.warmup import warm

    doing = (
        f"loading the engine's kernels from {CACHE_DIR}"
        if _kernels_cached()
        else f"compiling the engine's kernels into {CACHE_DIR} (a minute or more, once)"
    )
    print(f"optiviz: {doing}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    info = warm()
    how = "compiled" if info["compiled"] else "plain Python (numba's JIT is off)"
    print(f"optiviz: kernels ready ({how}) in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


def _kernels_cached() -> bool:
    """Whether the kernels' cache holds compiled code (numba's index files), or nothing is compiled."""
    from .engine.kernels import CACHE_DIR, COMPILED

    return not COMPILED or any(Path(CACHE_DIR).rglob("*.nbi"))


def _warmup(args: argparse.Namespace) -> int:
    _compile_kernels()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .settings import get_settings

    http: type[asyncio.Protocol] | Literal["h11"]
    try:
        from .api.protocol import GuardedHttpToolsProtocol

        http = GuardedHttpToolsProtocol
    except ImportError:  # no httptools: uvicorn's h11, with its own limit on incomplete heads
        http = "h11"

    s = get_settings()
    if not _kernels_cached():  # a fresh install: compile before listening, not in the first request
        _compile_kernels()
    from .engine.kernels.threads import pin_blas

    pin_blas()  # OpenBLAS on one thread, here and in the workers (unless OPENBLAS_NUM_THREADS says)
    uvicorn.run(
        f"{__package__}.main:app",  # app.main:app, or the installed package's own name
        host=args.host or s.host,
        port=args.port or s.port,
        workers=args.workers or s.workers,
        log_level=s.log_level,
        proxy_headers=True,
        root_path=s.root_path,  # served under a prefix by a proxy that strips it
        timeout_graceful_shutdown=10,
        # idle connections are closed; seconds, a float (asyncio call_later), though uvicorn annotates int
        timeout_keep_alive=s.keep_alive,  # type: ignore[arg-type]
        # with the guarded protocol: none (it caps open connections itself, closing idle ones first, and the
        # app caps requests in progress); uvicorn's counts idle connections against requests
        limit_concurrency=None if http != "h11" else s.max_connections,
        h11_max_incomplete_event_size=16 * 1024,  # request line + headers (when uvicorn runs h11)
        server_header=False,  # no "server: uvicorn"
        http=http,  # request heads must arrive within OPTIVIZ_HEADER_TIMEOUT (app.api.protocol)
    )
    return 0


def main(argv: list[str] | None = None, network_html: NetworkHtml | None = None) -> int:
    parser = argparse.ArgumentParser(prog="optiviz", description="See how optimizers move across a loss surface.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app and the API")
    serve.add_argument("--host", default=None, help="default: OPTIVIZ_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: OPTIVIZ_PORT or 8000")
    serve.add_argument("--workers", type=int, default=None, help="default: OPTIVIZ_WORKERS or 1")
    serve.set_defaults(func=_serve)
    run = sub.add_parser("run", help="answer a trajectories request without a server")
    run.add_argument("request", help="a JSON file with the body of POST /api/v1/trajectories ('-' for stdin)")
    run.add_argument("--format", choices=("json", "csv"), default="json")
    run.set_defaults(func=_run)
    train = sub.add_parser("train", help="train a small network with several optimizers without a server")
    train.add_argument("request", help="a JSON file with the body of POST /api/v1/networks ('-' for stdin)")
    train.add_argument("--format", choices=("json", "csv"), default="json", help="csv: one row per run and epoch")
    train.add_argument("--html", metavar="FILE", help="write the figure (landscape, paths, losses) as an HTML page")
    train.set_defaults(func=_train, figure=network_html)
    warmup = sub.add_parser("warmup", help="compile the engine's kernels into their cache (once per install)")
    warmup.set_defaults(func=_warmup)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
