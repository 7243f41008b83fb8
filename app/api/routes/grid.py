"""Surface values on a grid, for contour maps of any surface (custom ones included)."""

from fastapi import APIRouter

from app.api import compute
from app.api.schemas import GridPublic, GridRequest
from app.api.service import grid
from app.api.strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["grid"], route_class=StrictJSONRoute)


def _answer(req: GridRequest) -> bytes:
    return dumps(grid(req))


@router.post("/grid", response_model=GridPublic, response_class=ORJSONResponse, summary="Surface values on an n × n grid")
async def post_grid(req: GridRequest) -> ORJSONResponse:
    """``z[j][i]`` is the value at ``x[i], y[j]``; points where the surface is undefined are null."""
    return ORJSONResponse(await compute.run_heavy(_answer, req))
