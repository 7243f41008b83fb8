"""optiviz from Python: the studio's trajectories and figures in a notebook.

``run`` computes in this process with the server's own engine and validation (the request goes
through the REST API's request model and service layer); ``Client`` asks a running server the
same question over HTTP. Both answer a `Result`:

>>> import optiviz
>>> res = optiviz.run(surface="booth", runs=[{"optimizer": "adam", "params": {"lr": 0.1}}], steps=50)
>>> r = res.runs[0]
>>> r.label, r.status, r.steps_taken, len(r.x), len(r.lr)
('Adam', 'max_steps', 50, 51, 50)
>>> res.start, float(r.loss[0]) > float(r.loss[-1])
((-8.0, -6.0), True)
>>> res.runs[0]
RunResult(label='Adam', optimizer='adam', status='max_steps', steps_taken=50, final=(...), loss=...)
>>> res.to_records()[0]["t"], sorted(res.to_records()[0])[:4]
(0, ['grad_norm', 'label', 'loss', 'lr'])

Bad input raises `ValidationError`, which names the field as the API's 422 does:

>>> optiviz.run(surface="booth", runs=[{"optimizer": "adam", "params": {"lr": -1}}])
Traceback (most recent call last):
...
optiviz.ValidationError: runs.0: Value error, optimizer 'adam' parameter 'lr' must be >= 1e-06, got -1.0
"""

from optiviz._core import Result, RunResult, ValidationError, request_body, run
from optiviz._network import Client, NetworkResult, NetworkRun, network_body, train

__all__ = [
    "Client",
    "NetworkResult",
    "NetworkRun",
    "Result",
    "RunResult",
    "ValidationError",
    "network_body",
    "request_body",
    "run",
    "train",
]

for _cls in (Client, NetworkResult, NetworkRun, Result, RunResult, ValidationError):
    _cls.__module__ = __name__  # shown as optiviz.X (tracebacks, reprs)
