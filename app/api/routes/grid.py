"""Surface values on a grid, for contour maps of any surface (custom ones included)."""

from fastapi import APIRouter

from ...engine import cost
from ..schemas import GridPublic, GridRequest
from ..service import grid_values
from ..strict import ORJSONResponse, StrictJSONRoute
from .answers import json_answer, surface_of

router = APIRouter(prefix="/api/v1", tags=["grid"], route_class=StrictJSONRoute)


@router.post(
    "/grid", response_model=GridPublic, response_class=ORJSONResponse, summary="Surface values on an n × n grid"
)
async def post_grid(req: GridRequest) -> ORJSONResponse:
    """``z[j][i]`` is the value at ``x[i], y[j]``; points where the surface is undefined are null."""
    surface = await surface_of(req.surface)
    return await json_answer(grid_values, surface, req.n, work=cost.lockstep(surface, req.n * req.n, 1))
