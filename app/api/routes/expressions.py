"""Check a formula as the user types: always 200, with the parser's verdict and where it failed."""

from fastapi import APIRouter
from pydantic import Field

from ...engine.expression import ExpressionError
from .. import compute
from ..schemas import MAX_EXPRESSION, StrictModel
from ..service import FORMULAS
from ..strict import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["surfaces"], route_class=StrictJSONRoute)


class ExpressionCheckRequest(StrictModel):
    expression: str = Field(max_length=10 * MAX_EXPRESSION, examples=["x^2 + 10*y^2"])


class ExpressionCheckPublic(StrictModel):
    valid: bool
    display: str | None = None
    detail: str | None = None
    position: int | None = None
    length: int | None = None
    operations: int | None = Field(None, description="Operations per evaluation of the value and the gradient.")


def _check(text: str) -> ExpressionCheckPublic:
    try:
        expr = FORMULAS.get(text)
    except ExpressionError as err:
        return ExpressionCheckPublic(valid=False, detail=str(err), position=err.position, length=err.length)
    return ExpressionCheckPublic(valid=True, display=expr.display, operations=expr.ops)


@router.post("/expressions/check", response_model=ExpressionCheckPublic, summary="Check a custom formula")
async def check_expression(req: ExpressionCheckRequest) -> ExpressionCheckPublic:
    """The same parser as custom surfaces: `valid`, the normalized `display` form, or the `detail`
    of what is wrong with its 0-based `position` and `length` in the text. Parsed off the event
    loop, once per formula."""
    return await compute.run_heavy(_check, req.expression, work=0.0)
