"""Surface values on a grid, for contour maps of any surface (custom ones included)."""

from fastapi import APIRouter

from ...engine import cost
from ...engine.surfaces import Surface
from .. import compute
from ..schemas import GridPublic, GridRequest
from ..service import grid_values, resolve_surface
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["grid"], route_class=StrictJSONRoute)


def _answer(surface: Surface, n: int) -> bytes:
    return dumps(grid_values(surface, n))


@router.post(
    "/grid", response_model=GridPublic, response_class=ORJSONResponse, summary="Surface values on an n × n grid"
)
async def post_grid(req: GridRequest) -> ORJSONResponse:
    """``z[j][i]`` is the value at ``x[i], y[j]``; points where the surface is undefined are null."""
    surface = await compute.run_heavy(resolve_surface, req.surface, work=0.0)  # parsed once per formula
    work = cost.lockstep(surface, req.n * req.n, 1)
    return ORJSONResponse(await compute.run_heavy(_answer, surface, req.n, work=work))
