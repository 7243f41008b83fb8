"""The analysis endpoints' answers: the step inspector, curvature, gradient noise and the formula
check, from validated requests to public JSON.

Free of FastAPI, like `app.api.service` (which resolves their surfaces and problems): the routes
call it in a worker thread and send the answer as orjson bytes. What the request's schema accepts
but the analysis cannot answer raises `InvalidRequest` (the usual 422).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..curvature import NoCurvature, curvature
from ..engine.expression import ExpressionError
from ..engine.runner import Problem
from ..engine.surfaces import Surface
from ..gradient_noise import NoGradientNoise, gradient_noise
from ..i18n import explain
from ..i18n import text as t
from ..inspect import InspectError, inspect_step
from .schemas import TrajectoryRequest
from .schemas_analysis import ExpressionCheckPublic, InspectRequest
from .service import FORMULAS, build_problem, invalid, trajectories


def inspect_problem(req: InspectRequest) -> Problem:
    """The inspected run alone, recording its internals: its noise draws and mini-batch order do
    not depend on the other runs."""
    problem = build_problem(TrajectoryRequest.model_validate(req.model_dump(exclude={"run", "t"})))
    if req.run >= len(problem.runs):
        raise invalid(("run",), t("error.inspect.run", last=len(problem.runs) - 1), req.run)
    return dataclasses.replace(problem, runs=(problem.runs[req.run],), include_state=True)


def inspect(one: Problem, req: InspectRequest) -> dict[str, Any]:
    """Update ``req.t`` of the run of `inspect_problem`, each line of its rule with its numbers."""
    answer: dict[str, Any] = trajectories(one)
    try:
        return inspect_step(one, answer, 0, req.t) | {"run": req.run}
    except InspectError as err:
        raise invalid(("t",), str(err), req.t) from None


def curvature_at(surface: Surface, point: tuple[float, float]) -> dict[str, Any]:
    """The exact Hessian at ``point``: eigenvalues, eigen-directions and learning-rate bounds."""
    try:
        out: dict[str, Any] = curvature(surface, point)
    except NoCurvature as err:
        raise invalid((err.field,), str(err), None) from None
    return out


def gradient_noise_at(surface: Surface, point: tuple[float, float], batch_size: int) -> dict[str, Any]:
    """The covariance of the per-sample and the mini-batch gradients at ``point``."""
    try:
        out: dict[str, Any] = gradient_noise(surface, point, batch_size)
    except NoGradientNoise as err:
        raise invalid(("surface",), str(err), None) from None
    return out


def check_formula(text: str) -> ExpressionCheckPublic:
    """The parser's verdict on a formula: its display form, or what is wrong and where."""
    try:
        expr = FORMULAS.get(text)
    except ExpressionError as err:
        return ExpressionCheckPublic(valid=False, detail=explain(err), position=err.position, length=err.length)
    return ExpressionCheckPublic(valid=True, display=expr.display, operations=expr.ops)
