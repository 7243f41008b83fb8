"""Python ⇄ studio: `Result.studio_url()` opens the same comparison; the Export panel's Python
snippet is the `optiviz.run` call of what is on screen."""

from __future__ import annotations

import ast

import optiviz
from tests.web.studio_helpers import full_paths, sent_request, settled

CUSTOM = dict(
    surface={"expression": "x^2 + 10*y^2 + sin(3*x)", "x_range": [-3, 3], "y_range": [-2, 2]},
    start=[2.5, 1.5],
    steps=120,
    seed=4,
    tolerance=1e-6,
    runs=[
        {"optimizer": "adam", "params": {"lr": 0.1}, "label": "fast Adam"},
        {
            "optimizer": "momentum",
            "params": {"lr": 0.01, "beta": 0.8},
            "schedule": {"name": "step", "params": {"step_size": 30, "gamma": 0.5}, "warmup_steps": 5},
        },
        {"optimizer": "gd", "params": {"lr": 0.02}, "noise_std": 0.3},
    ],
)


def _same_request(sent: dict, res: optiviz.Result) -> None:
    req = res.request
    assert sent["surface"] == req["surface"] and sent["start"] == req["start"]
    assert (sent["steps"], sent["seed"], sent["tolerance"]) == (req["steps"], req["seed"], req["tolerance"])
    assert len(sent["runs"]) == len(res.runs)
    for s, r, asked in zip(sent["runs"], res.runs, req["runs"], strict=True):
        assert s["optimizer"] == r.optimizer and s["params"] == r.params
        assert s.get("label") == asked.get("label") and s.get("noise_std", 0) == r.noise_std
        if "schedule" in asked:
            assert s["schedule"] == r.schedule


def test_studio_url_opens_the_same_comparison(watched, live_server) -> None:
    page = watched
    res = optiviz.run(**CUSTOM)
    page.goto(res.studio_url(live_server + "/"))
    settled(page)
    _same_request(sent_request(page), res)
    drawn = full_paths(page)  # the studio drew exactly the Python API's paths
    assert [(list(r.x), list(r.y)) for r in res.runs] == [(x, y) for x, y in drawn]
    # and the hash parses as the studio's own deserialize reads it
    state = page.evaluate(
        "async (h) => (await import('/static/js/state.js')).deserialize(h)",
        res.studio_url(live_server).split("#", 1)[1],
    )
    assert state["surface"] == "custom" and state["expr"] == CUSTOM["surface"]["expression"]
    assert state["yr"] == [-2, 2] and state["start"] == [2.5, 1.5] and state["steps"] == 120
    assert [r["label"] for r in state["runs"]] == ["fast Adam", "", ""]
    assert page.errors == [] and page.foreign == []


def test_export_offers_the_python_call(watched, live_server) -> None:
    page = watched
    page.goto(optiviz.run(**CUSTOM).studio_url(live_server))
    settled(page)
    page.click("#export-python")
    code = page.input_value("#python")
    assert code.startswith("import optiviz\n") and "res.figure()" in code
    call = next(
        n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "run"
    )
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}  # literals only: nothing is executed
    res = optiviz.run(**kwargs)
    _same_request(sent_request(page), res)
    assert [(list(r.x), list(r.y)) for r in res.runs] == [tuple(p) for p in full_paths(page)]
    page.locator("#python").scroll_into_view_if_needed()
    page.locator("#python").locator("..").screenshot(path="tests/artifacts/export-python.png")
    assert page.errors == []
