"""The lessons page's tools (the sweep, the basin map, the race) read and write the page's one store,
as the studio's controls do: an edit of a form writes the state; the state draws the form, what the
tool shows and the URL; a run sends what the state holds; a link gives the forms back (and a bad
link gives the defaults)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.web.test_lessons_page import ready

TOOLS = ("swSurface", "swOpt", "swY", "swSteps", "bsSurface", "bsOpt", "bsLr", "rcSurface")
DEFAULTS = dict(zip(TOOLS, ("rosenbrock", "adam", None, 300, "himmelblau", "gd", 0.01, "rosenbrock"), strict=True))
CONTROLS = dict(
    zip(TOOLS, ("sw-surface", "sw-opt", "sw-y", "sw-steps", "bs-surface", "bs-opt", "bs-lr", "rc-surface"), strict=True)
)


def tools(page) -> dict:
    state = page.evaluate("() => window.optivizLessons.store.get()")
    return {k: state[k] for k in TOOLS}


def until(page, prop, value) -> None:
    """Wait until the store holds ``value`` at ``prop``."""
    page.wait_for_function("([k, v]) => window.optivizLessons.store.get()[k] === v", arg=[prop, value])


def controls(page) -> dict:
    return {k: page.input_value(f"#{c}") for k, c in CONTROLS.items()}


def options(page, select) -> list[str]:
    return page.evaluate(f"() => [...document.querySelectorAll('#{select} option')].map(o => o.value)")


def name(page, kind, id_) -> str:
    return page.evaluate(f"() => window.optivizLessons.catalogue.{kind}.find(x => x.id === '{id_}').name")


def link(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).fragment).items()}


def axis_title(page, div, axis) -> str:
    return page.evaluate(f"() => document.getElementById('{div}').layout.{axis}.title.text")


def test_the_tools_forms_read_and_write_the_store(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=nesterov")
    assert tools(watched) == DEFAULTS
    assert controls(watched) == {**{k: str(v) for k, v in DEFAULTS.items()}, "swY": "beta1"}  # Adam's first
    assert link(watched) == {"scenario": "nesterov"}  # defaults stay out of the link

    # the sweep: a data set puts the batch size first on the y axis
    watched.select_option("#sw-surface", "linear_regression")
    until(watched, "swSurface", "linear_regression")
    assert watched.input_value("#sw-y") == "batch_size" and options(watched, "sw-y")[0] == "batch_size"
    assert name(watched, "surfaces", "linear_regression") in watched.inner_text("#sw-will")
    assert link(watched)["sw_surface"] == "linear_regression"
    # another optimizer: its parameters on the y axis
    watched.select_option("#sw-opt", "rmsprop")
    until(watched, "swOpt", "rmsprop")
    assert options(watched, "sw-y") == ["batch_size", "beta", "eps"]
    assert name(watched, "optimizers", "rmsprop") in watched.inner_text("#sw-will")
    # back to an analytic surface, then a y axis of the reader's: the preview's axis follows
    watched.select_option("#sw-surface", "booth")
    until(watched, "swSurface", "booth")
    assert options(watched, "sw-y") == ["beta", "eps"] and watched.input_value("#sw-y") == "beta"
    watched.select_option("#sw-y", "eps")
    until(watched, "swY", "eps")
    watched.wait_for_function("() => document.getElementById('sw-plot').layout.yaxis.title.text === 'eps'")
    # steps: a settled edit writes the state; a number it may not take is refused (the form shows the state)
    watched.fill("#sw-steps", "30")
    watched.press("#sw-steps", "Tab")
    until(watched, "swSteps", 30)
    watched.fill("#sw-steps", "0")
    watched.press("#sw-steps", "Tab")
    watched.wait_for_function("() => document.getElementById('sw-steps').value === '30'")
    assert tools(watched)["swSteps"] == 30
    # the run sends the state
    with watched.expect_request(lambda r: "/api/v1/sweeps/stream" in r.url) as sent:
        watched.click("#sw-run")
    body = sent.value.post_data_json
    sent_form = (body["surface"], body["optimizer"], body["steps"], body["y_param"]["name"])
    assert sent_form == ("booth", "rmsprop", 30, "eps")
    watched.wait_for_function("() => document.body.dataset.sweep === 'done'", timeout=60000)
    z = watched.evaluate("() => document.getElementById('sw-plot').data[0].z")
    assert len(z) == body["y_param"]["n"] and {len(row) for row in z} == {body["x_param"]["n"]}
    assert axis_title(watched, "sw-plot", "yaxis") == "eps"

    # the basin map: the state, written by a program (as a link does), draws the form and the preview
    watched.evaluate("() => window.optivizLessons.store.update({ bsSurface: 'six_hump_camel', bsLr: 0.05 })")
    watched.wait_for_function("() => document.getElementById('bs-surface').value === 'six_hump_camel'")
    assert watched.input_value("#bs-lr") == "0.05"
    assert name(watched, "surfaces", "six_hump_camel") in watched.inner_text("#bs-will")
    watched.select_option("#bs-opt", "momentum")
    until(watched, "bsOpt", "momentum")
    assert name(watched, "optimizers", "momentum") in watched.inner_text("#bs-will")
    with watched.expect_request(lambda r: "/api/v1/basins" in r.url) as sent:
        watched.click("#bs-run")
    body = sent.value.post_data_json
    assert (body["surface"], body["optimizer"], body["params"]) == ("six_hump_camel", "momentum", {"lr": 0.05})
    watched.wait_for_function("() => document.body.dataset.basins === 'done'", timeout=60000)
    assert watched.evaluate("() => document.getElementById('bs-plot').data[0].type") == "heatmap"

    # the race: tuned on the state's surface; a new surface hides the last tuning's link
    watched.select_option("#rc-surface", "booth")
    until(watched, "rcSurface", "booth")
    assert name(watched, "surfaces", "booth") in watched.inner_text("#rc-will")
    with watched.expect_request(lambda r: "/api/v1/race" in r.url) as sent:
        watched.click("#rc-run")
    assert sent.value.post_data_json["surface"] == "booth"
    watched.wait_for_function("() => document.body.dataset.race === 'done'", timeout=60000)
    assert watched.is_visible("#rc-open")
    watched.select_option("#rc-surface", "himmelblau")
    until(watched, "rcSurface", "himmelblau")
    assert watched.is_hidden("#rc-open")
    assert name(watched, "surfaces", "himmelblau") in watched.inner_text("#rc-will")

    # the link holds the forms, and gives them back
    edited = {
        "swSurface": "booth",
        "swOpt": "rmsprop",
        "swY": "eps",
        "swSteps": 30,
        "bsSurface": "six_hump_camel",
        "bsOpt": "momentum",
        "bsLr": 0.05,
        "rcSurface": "himmelblau",
    }
    assert tools(watched) == edited
    assert link(watched) == {
        "scenario": "nesterov",
        "sw_surface": "booth",
        "sw_opt": "rmsprop",
        "sw_y": "eps",
        "sw_steps": "30",
        "bs_surface": "six_hump_camel",
        "bs_opt": "momentum",
        "bs_lr": "0.05",
        "rc_surface": "himmelblau",
    }
    url = watched.url
    watched.goto("about:blank")
    ready(watched, url)
    assert tools(watched) == edited
    assert controls(watched) == {k: str(v) for k, v in edited.items()}
    assert name(watched, "surfaces", "six_hump_camel") in watched.inner_text("#bs-will")
    watched.wait_for_function("() => document.getElementById('sw-plot').layout.yaxis.title.text === 'eps'")
    assert watched.errors == []


def test_a_bad_link_gives_the_tools_their_defaults(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=nesterov&sw_surface=nope&sw_steps=99999999&bs_lr=-1&rc_surface=")
    assert tools(watched) == DEFAULTS
    assert controls(watched)["swSteps"] == "300" and controls(watched)["bsLr"] == "0.01"
    assert watched.errors == []
