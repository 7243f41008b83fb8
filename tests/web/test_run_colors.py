"""One rule colours every run, in the page (static/js/colors.js) and in the Python package's figures
(optiviz/_colors.py), from one palette the server serves (GET /api/v1/run_colors): the page's answers
and the port's are the same colours and dashes, run for run."""

from __future__ import annotations

import pytest

import optiviz
from app.registry import OPTIMIZERS, RUN_COLORS
from optiviz._colors import run_styles
from tests.web.studio_helpers import ready

COLORS = {k: o.color for k, o in OPTIMIZERS.items()}
IDS = list(OPTIMIZERS)

# run lists ({optimizer, color?}): one optimizer 16 times, mixed optimizers, colours the user chose
CASES = {
    "gd x16": [{"optimizer": "gd"} for _ in range(16)],
    "adam x16": [{"optimizer": "adam"} for _ in range(16)],  # vermilion: the spare red is too close
    "mixed": [{"optimizer": o} for o in ["gd", "adam", "gd", "momentum", "adam", "adam", "rmsprop", "gd", "lbfgs"]],
    "every optimizer twice": [{"optimizer": o} for o in IDS + IDS],
    "user colours": [
        {"optimizer": "gd", "color": COLORS["adam"]},  # a user's colour that is another optimizer's
        {"optimizer": "adam"},
        {"optimizer": "gd"},
        {"optimizer": "momentum", "color": "#e41a1c"},  # the first spare colour, in lower case
        {"optimizer": "momentum"},
        {"optimizer": "nesterov", "color": "#123456"},
        {"optimizer": "nesterov", "color": "#123456"},  # the same chosen colour twice: kept
        {"optimizer": "nesterov"},
    ],
}

STYLES = """async (runs) => {
  const { runColors } = await import("/static/js/colors.js");
  const cat = window.optiviz.catalogue;
  const registry = (id) => cat.optimizers.find((o) => o.id === id)?.color || "#000000";
  return runColors(runs, registry, cat.run_colors);
}"""


@pytest.fixture()
def studio(watched, live_server):
    watched.goto(live_server + "/")
    ready(watched, 60000)
    return watched


def test_the_page_loads_the_servers_palette(studio) -> None:
    assert studio.evaluate("() => window.optiviz.catalogue.run_colors") == RUN_COLORS
    assert studio.errors == []


@pytest.mark.parametrize("case", list(CASES))
def test_page_and_python_colour_runs_alike(studio, case: str) -> None:
    runs = CASES[case]
    in_page = studio.evaluate(STYLES, runs)
    in_python = run_styles(runs, COLORS, RUN_COLORS)
    assert in_page == in_python
    colours = [s["color"].lower() for s in in_python]
    chosen = [r.get("color") for r in runs]
    if not any(chosen):  # every run its own colour (as many as the palette holds)
        assert len(set(colours)) == len(runs)
    assert studio.errors == []


def test_the_drawn_paths_are_the_rules_colours(watched, live_server) -> None:
    """What the studio draws (opened on a permalink of three GD runs at batch 1, 32 and full): each
    path in the colour and dash the Python port gives its run, three colours."""
    runs = [{"optimizer": "gd", "params": {"lr": 0.3}} | ({"batch_size": b} if b else {}) for b in (1, 32, None)]
    link = optiviz.run(surface="logistic_regression", runs=runs, steps=20, seed=3).studio_url(live_server)
    watched.goto(link)
    ready(watched, 60000)
    drawn = watched.evaluate(
        """() => document.getElementById('map').data.filter((t) => t.meta && t.meta.role === 'path')
             .sort((a, b) => a.meta.run - b.meta.run).map((t) => ({ color: t.line.color, dash: t.line.dash }))"""
    )
    assert drawn == run_styles(runs, COLORS, RUN_COLORS)
    assert len({d["color"] for d in drawn}) == 3
    assert watched.errors == []


def test_the_networks_page_gives_every_run_its_own_colour(watched, live_server) -> None:
    """Two Adam runs and a GD run on the networks page: three colours (the rule's), on the run cards'
    swatches and on the drawn loss curves, the second Adam run dashed."""
    from tests.web.test_networks_page import PAGE, settled

    watched.goto(f"{live_server}/networks#ep=40")
    settled(watched)
    watched.evaluate(
        f"""() => {PAGE}.store.update((d) => {{ d.runs = [
            {{ ...d.runs[0], optimizer: 'adam', params: {{ lr: 0.01 }} }},
            {{ ...d.runs[0], optimizer: 'adam', params: {{ lr: 0.003 }} }},
            {{ ...d.runs[0], optimizer: 'gd', params: {{ lr: 0.1 }} }}]; }})"""
    )
    watched.wait_for_function(f"() => {PAGE}.request && {PAGE}.request.runs.length === 3")
    settled(watched)
    runs = [{"optimizer": o} for o in ("adam", "adam", "gd")]
    expected = run_styles(runs, COLORS, RUN_COLORS)
    drawn = watched.evaluate(
        """() => document.getElementById('net-curve-loss').data.filter((t) => t.meta && t.meta.key === 'train_loss')
             .sort((a, b) => a.meta.run - b.meta.run).map((t) => t.line.color)"""
    )
    swatches = watched.evaluate(
        """() => [...document.querySelectorAll('#net-runs .swatch')].map((s) => s.style.background)"""
    )
    assert [d.lower() for d in drawn] == [e["color"].lower() for e in expected]
    assert len(set(drawn)) == 3 and expected[1]["dash"] != expected[0]["dash"]
    assert len(swatches) == 3 and len(set(swatches)) == 3
    assert watched.errors == []
