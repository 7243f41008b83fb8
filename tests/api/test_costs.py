"""Bounded work and memory per request, one checked contract, and only the app's own files."""

from __future__ import annotations

import json

import pytest

from app.api import service
from app.api.schemas import OptimizerPublic, RunPublic, SchedulePublic, SurfacePublic
from app.main import MAX_ERRORS, PLOTLY_DIR, SWAGGER_DIR
from app.registry import OPTIMIZERS, SCHEDULES, SURFACES

RUN = {"optimizer": "adam"}


def custom(expression: str, x_range=(-3, 3)) -> dict:
    return {"expression": expression, "x_range": list(x_range), "y_range": [-3, 3]}


# --- formulas: parsed once, off the event loop, cached by text within a byte budget ----------------


def test_a_formula_is_parsed_once_whatever_its_ranges(client, monkeypatch) -> None:
    calls = []
    real = service.parse_expression
    monkeypatch.setattr(service, "parse_expression", lambda text: calls.append(text) or real(text))
    text = "x^2 + 3.25*y^2 + sin(x*y)"
    for i in range(30):
        body = {"surface": custom(text, (-3, 3 + i * 1e-6)), "steps": 3, "runs": [RUN]}
        assert client.post("/api/v1/trajectories", json=body).status_code == 200
        assert (
            client.post("/api/v1/grid", json={"surface": custom(text, (-3, 3 + i * 1e-6)), "n": 5}).status_code == 200
        )
    assert calls == [text]  # not once per request, nor once per range: the validators do not parse


def test_the_formula_cache_is_bounded_in_bytes() -> None:
    cache = service.FormulaCache(max_bytes=2_000_000)
    costly = "/".join(["x^y^2"] * 45)
    for i in range(100):
        cache.get(f"{costly}+{i}")
        cache.get(f"x^2 + {i}*y")
        with pytest.raises(service.ExpressionError):
            cache.get(f"x^2 + q{i}")  # errors are kept too, and count
    assert cache.bytes <= 2_000_000 and 10 < len(cache) < 300


def test_an_unparsable_formula_is_a_422_at_its_field(client) -> None:
    r = client.post("/api/v1/trajectories", json={"surface": custom("x^2 + q"), "runs": [RUN]})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == ["body", "surface", "custom", "expression"] and "'q'" in err["msg"]


@pytest.mark.parametrize("text", ["ｅｘｐ(ｘ) + y^2", "𝑥^2 + y^2", "x² + y^2"])
def test_look_alike_letters_are_refused(client, text) -> None:
    r = client.post("/api/v1/trajectories", json={"surface": custom(text), "runs": [RUN]})
    assert r.status_code == 422 and "only ASCII" in r.text
    check = client.post("/api/v1/expressions/check", json={"expression": text}).json()
    assert check["valid"] is False and "only ASCII" in check["detail"]


def test_check_reports_the_formulas_cost(client) -> None:
    r = client.post("/api/v1/expressions/check", json={"expression": "x^y^x^y"}).json()
    assert r["valid"] and 10 < r["operations"] < 100
    limits = client.get("/api/v1/limits").json()
    assert limits["max_formula_operations"] == 500 and limits["max_formula_power_tower"] == 3


# --- error bodies are capped --------------------------------------------------------------------


def test_a_flood_of_errors_is_capped(client) -> None:
    body = {"surface": "booth", "runs": [RUN], **{f"k{i}": 1 for i in range(900)}}
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 422
    out = r.json()
    assert len(out["detail"]) == MAX_ERRORS and out["errors_total"] == 900
    assert len(r.content) < 5_000


@pytest.mark.serial  # timed
def test_a_body_of_many_fields_is_refused_before_validation(client) -> None:
    import time

    body = {"surface": "booth", "runs": [RUN], **{f"{i:x}": 1 for i in range(100_000)}}  # just under 1 MB
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) < 1_000_000
    t0 = time.perf_counter()
    r = client.post("/api/v1/trajectories", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "more than 1000 fields" in r.text
    assert len(r.content) < 1_000  # was 10.9 MB
    assert time.perf_counter() - t0 < 0.3  # was ~1 s of event-loop time building 100,000 errors


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v1/trajectories", {"surface": "booth", "runs": [1] * 450_000}),  # 0.9 MB of list values
        ("/api/v1/trajectories", [{}] * 300_000),
        ("/api/v1/curvature", {"surface": "booth", "point": [[1, 1]] * 150_000}),
        ("/api/v1/ewa", {"series": [1] * 450_000}),
    ],
)
def test_a_body_of_long_lists_is_refused_before_validation(client, path, body) -> None:
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) < 1_000_000
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["detail"][0]["type"] == "too_many_items"  # not pydantic's errors: it never validated
    assert "more than 20000 values" in r.text and len(r.content) < 1_000


def test_the_longest_valid_list_is_not_refused(client) -> None:
    r = client.post("/api/v1/ewa", json={"series": [1.5] * 10_000, "betas": [0.9]})
    assert r.status_code == 200, r.text[:300]


# --- one checked contract: every field of the engine's dicts reaches the client ------------------


@pytest.mark.parametrize(
    "path,items,model",
    [
        ("/api/v1/optimizers", OPTIMIZERS, OptimizerPublic),
        ("/api/v1/schedules", SCHEDULES, SchedulePublic),
        ("/api/v1/surfaces", SURFACES, SurfacePublic),
    ],
)
def test_every_engine_field_survives_the_catalogue(client, path, items, model) -> None:
    served = {x["id"]: x for x in client.get(path).json()}
    for key, item in items.items():
        engine = item.public()
        got = served[key]
        for field, value in engine.items():
            if field == "params":
                for p_engine, p_got in zip(value, got["params"], strict=True):
                    assert {k: p_got.get(k) for k in p_engine} == p_engine, (key, p_engine["name"])
            else:
                assert got[field] == value, (key, field)
    if path != "/api/v1/surfaces":  # dropped by the response model before
        assert any(p.get("min_exclusive") or p.get("max_exclusive") for x in served.values() for p in x["params"])


def test_every_answer_field_is_in_the_schema(client) -> None:
    body = {
        "surface": "logistic_regression",
        "steps": 5,
        "include_state": True,
        "runs": [{"optimizer": "adam", "batch_size": 10}],
    }
    run = client.post("/api/v1/trajectories", json=body).json()["runs"][0]
    assert set(run) <= set(RunPublic.model_fields), set(run) - set(RunPublic.model_fields)
    RunPublic.model_validate(run)


# --- only the app's own static files ---------------------------------------------------------------


def test_only_the_files_the_pages_use_are_served(client) -> None:
    for path in (
        "/static/vendor/plotly.min.js",
        "/static/swagger/swagger-ui-bundle.js",
        "/static/swagger/swagger-ui.css",
        "/static/js/main.js",
        "/static/css/app.css",
    ):
        assert client.get(path).status_code == 200, path
    stock = [
        f"/static/swagger/{p.name}"
        for p in SWAGGER_DIR.iterdir()
        if p.is_file() and p.name not in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
    ]
    stock += [
        f"/static/vendor/{p.relative_to(PLOTLY_DIR)}"
        for p in PLOTLY_DIR.rglob("*")
        if p.is_file() and p.name != "plotly.min.js"
    ]
    assert "/static/swagger/index.html" in stock and "/static/swagger/oauth2-redirect.html" in stock
    assert any(p.endswith(".map") for p in stock)
    for path in stock:
        assert client.get(path).status_code == 404, path
    assert client.get("/static/js/main.js.map").status_code == 404


def test_docs_load_only_whitelisted_assets(client) -> None:
    html = client.get("/docs").text
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"static/swagger/{name}" in html


def test_health_answers_head(client) -> None:
    assert client.head("/healthz").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


# --- minor ones --------------------------------------------------------------------------------


def test_a_singular_default_start_does_not_block_basins(client) -> None:
    surface = {"expression": "log(x - 2) + y^2", "x_range": [-1, 3], "y_range": [-1, 1]}  # x = 2: log(0)
    r = client.post("/api/v1/basins", json={"surface": surface, "optimizer": "gd", "n": 4, "steps": 5})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/trajectories", json={"surface": surface, "steps": 3, "runs": [RUN]})
    assert r.status_code == 200 and r.json()["surface"]["default_start"][0] > 2


def test_ewa_refuses_values_whose_average_would_overflow(client) -> None:
    r = client.post("/api/v1/ewa", json={"series": [1.79e308] * 3, "betas": [0.9]})
    assert r.status_code == 422 and "1e+300" in r.text
    r = client.post("/api/v1/ewa", json={"series": [1e300, -1e300] * 3, "betas": [0.5, 0.9, 0.999]})
    assert r.status_code == 200 and "null" not in r.text


def test_schedules_that_read_the_run_are_costed_as_they_run(client) -> None:
    """ReduceLROnPlateau slices (and rows reading their loss call the loop once per update): the
    estimates say so, so admission and the cheapest-first queue see their real cost. A cycled
    momentum is a table the loop reads, as fast as any schedule: estimated as one, its answer one
    series longer."""
    from app.api.schemas import TrajectoryRequest
    from app.api.service import build_problem
    from app.engine import cost

    def est(schedule):
        body = {"surface": "rosenbrock", "steps": 20000, "runs": [{"optimizer": "adam", "schedule": schedule}]}
        return cost.trajectories(build_problem(TrajectoryRequest.model_validate(body)))

    plain = est({"name": "one_cycle", "params": {"total_steps": 20000}})
    cycled = est({"name": "one_cycle", "params": {"total_steps": 20000, "cycle_momentum": True}})
    plateau = est({"name": "reduce_on_plateau"})
    assert plain < cycled <= 1.1 * plain  # one more series in the answer (its momenta), no slower loop
    assert plateau >= 2 * plain
