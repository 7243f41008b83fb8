"""The catalogue's defaults for the studio: each surface's suggested rates, the formula "Custom
formula…" opens on, and the schedule lengths that follow the run's steps."""

from __future__ import annotations

from app.engine.surfaces import STUDIO
from app.registry import CUSTOM_DEFAULT, SCHEDULES, SUGGESTED_LR, SURFACES

API_STEPS = 1000  # the steps the API's defaults of the following lengths span (unchanged: torch's tests use them)


def test_surfaces_serve_their_suggested_rates(client) -> None:
    body = client.get("/api/v1/surfaces").json()
    assert [s["id"] for s in body] == list(SURFACES)
    for s in body:
        assert s["suggested_lr"] == SUGGESTED_LR[s["id"]] and s["suggested_lr"]
    zh = client.get("/api/v1/surfaces?lang=zh").json()
    assert [s["suggested_lr"] for s in zh] == [s["suggested_lr"] for s in body]
    # a trajectories answer's surface stays as it was
    r = client.post("/api/v1/trajectories", json={"surface": "rosenbrock", "steps": 2, "runs": [{"optimizer": "gd"}]})
    assert "suggested_lr" not in r.json()["surface"]


def test_custom_formula_opens_on_runs_that_converge(client) -> None:
    custom = client.get("/api/v1/surfaces/custom").json()
    assert {k: custom[k] for k in CUSTOM_DEFAULT} == CUSTOM_DEFAULT
    assert [r["optimizer"] for r in custom["default_runs"]] == list(STUDIO)
    assert all(r["params"]["lr"] == custom["suggested_lr"][r["optimizer"]] for r in custom["default_runs"])
    surface = {k: custom[k] for k in ("expression", "x_range", "y_range")}
    runs = client.post(
        "/api/v1/trajectories", json={"surface": surface, "steps": 300, "runs": custom["default_runs"]}
    ).json()["runs"]
    for r in runs:
        assert r["status"] != "diverged" and r["loss"][-1] < 1e-3 * r["loss"][0]


def test_lengths_that_span_the_run_follow_its_steps(client) -> None:
    body = {s["id"]: {p["name"]: p for p in s["params"]} for s in client.get("/api/v1/schedules").json()}
    follows = {
        (sid, name): p["follows_steps"] for sid, ps in body.items() for name, p in ps.items() if p.get("follows_steps")
    }
    assert follows == {
        ("cosine", "t_max"): 1.0,
        ("polynomial", "total_steps"): 1.0,
        ("one_cycle", "total_steps"): 1.0,
        ("multistep", "milestones"): [0.25, 0.5, 0.75],
    }
    # lengths of their own: a restart period, a cycle, a ramp, a decay period
    for sid, name in (
        ("cosine_restarts", "t_0"),
        ("cyclic", "step_size_up"),
        ("linear", "total_iters"),
        ("step", "step_size"),
    ):
        assert body[sid][name]["follows_steps"] is None
    # the API's default of an omitted length is unchanged: its share of 1,000 steps
    for (sid, name), share in follows.items():
        default = SCHEDULES[sid].spec(name).default  # type: ignore[union-attr]
        want = [round(f * API_STEPS) for f in share] if isinstance(share, list) else round(share * API_STEPS)
        assert body[sid][name]["default"] == want == (list(default) if isinstance(default, tuple) else default)
