"""Export a network request as a runnable PyTorch script (``text/x-python``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from ...export.network import RunNotExportable, script_work, torch_network_script
from .. import compute
from ..deps import INVALID
from ..schemas_networks import NetworkRequest
from ..service import invalid
from ..service_networks import build_network_problem
from ..strict import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["networks"], route_class=StrictJSONRoute)

PYTHON = "text/x-python"


class PythonResponse(PlainTextResponse):
    media_type = PYTHON


@router.post(
    "/networks/export",
    response_class=PythonResponse,
    responses={**INVALID, 200: {"content": {PYTHON: {}}, "description": "The script (UTF-8 Python source)."}},
    summary="A network request as a runnable PyTorch script",
)
async def post_network_export(req: NetworkRequest) -> PythonResponse:
    """Takes the body of ``POST /api/v1/networks``; running the script (``python script.py --json``,
    torch and numpy installed) trains every run with torch.optim in float64 and prints its
    per-epoch train / test losses and accuracies, mini-batch losses and rates: the same numbers as
    the API's answer to ~1e-9. The data and the init are written into the script. A run whose
    optimizer has no torch form is a 422 that names it."""
    problem, _ = await compute.run_heavy(build_network_problem, req, work=0.0)  # validation only
    try:
        script = await compute.run_heavy(torch_network_script, problem, work=script_work(problem))
    except RunNotExportable as err:
        run = problem.runs[err.index]
        where = "optimizers" if run.switches else "optimizer"  # a chain: its links
        raise invalid(("runs", err.index, where), str(err), run.optimizer.id) from None
    return PythonResponse(script, headers={"content-disposition": 'attachment; filename="optiviz_network.py"'})
