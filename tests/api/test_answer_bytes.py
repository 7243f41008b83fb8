"""The answer's size is in the cost model: a worker holds at most OPTIVIZ_MAX_ANSWER_BYTES of JSON
answers at once (estimated before computing), published in /limits."""

from __future__ import annotations

import anyio

from app.api import compute
from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem
from app.engine import cost
from app.settings import get_settings

# the largest request the default limits allow, with the optimizer internals: ~69 MB of JSON
STATE = {"surface": "rosenbrock", "steps": 20000, "include_state": True, "runs": [{"optimizer": "adam"}] * 16}
PLAIN = {**STATE, "include_state": False}  # ~28 MB


def test_the_bound_is_published(client) -> None:
    assert client.get("/api/v1/limits").json()["max_answer_bytes"] == get_settings().max_answer_bytes


def test_the_estimate_bounds_the_answer(client) -> None:
    for body in (
        PLAIN,
        {**PLAIN, "steps": 300},
        {"surface": "logistic_regression", "steps": 500, "runs": [{"optimizer": "adam", "batch_size": 1}]},
    ):
        size = len(client.post("/api/v1/trajectories", json=body).content)
        estimate = cost.answer_bytes(build_problem(TrajectoryRequest.model_validate(body)))
        assert size <= estimate <= 2 * size + cost.SURFACE_BYTES, (size, estimate)


def test_an_answer_over_the_bound_is_refused_before_it_is_computed(client) -> None:
    r = client.post("/api/v1/trajectories", json=STATE)
    assert r.status_code == 422
    assert "more than the server's limit of 64 MB per answer" in r.json()["detail"]
    assert "/api/v1/trajectories/stream" in r.json()["detail"]
    assert client.post("/api/v1/trajectories", json=PLAIN).status_code == 200  # the largest without state


def test_answers_wait_for_room_in_the_budget() -> None:
    anyio.run(_wait_for_room)


async def _wait_for_room() -> None:
    budget = compute.AnswerBytes(100)
    await budget.reserve(60)
    order = []

    async def second() -> None:
        await budget.reserve(50)  # 60 + 50 > 100: waits until the first is released
        order.append("second")

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        await anyio.wait_all_tasks_blocked()
        assert order == [] and budget.held == 60
        order.append("first released")
        budget.release(60)
    assert order == ["first released", "second"] and budget.held == 50
