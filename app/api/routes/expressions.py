"""Check a formula as the user types: always 200, with the parser's verdict and where it failed."""

from fastapi import APIRouter

from .. import compute
from .. import service_analysis as analysis
from ..schemas_analysis import ExpressionCheckPublic, ExpressionCheckRequest
from ..strict import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["surfaces"], route_class=StrictJSONRoute)


@router.post("/expressions/check", response_model=ExpressionCheckPublic, summary="Check a custom formula")
async def check_expression(req: ExpressionCheckRequest) -> ExpressionCheckPublic:
    """The same parser as custom surfaces: `valid`, the normalized `display` form, or the `detail`
    of what is wrong with its 0-based `position` and `length` in the text. Parsed off the event
    loop, once per formula."""
    return await compute.run_heavy(analysis.check_formula, req.expression, work=0.0)
