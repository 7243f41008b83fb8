"""The lessons page in Chromium: every lesson loads and draws without console errors."""

from tests.web.conftest import ARTIFACTS


def test_lessons_page_draws_everything(watched, live_server):
    watched.goto(live_server + "/lessons")
    watched.wait_for_function("() => document.body.dataset.ready === '1'", timeout=20000)
    for div in ("sc-loss", "ewa-plot", "sched-plot"):
        n = watched.evaluate(f"() => (document.getElementById('{div}').data || []).length")
        assert n > 0, div
    n_sched = watched.evaluate("() => document.getElementById('sched-plot').data.length")
    assert n_sched == watched.evaluate("() => window.optivizLessons.catalogue.schedules.length")
    watched.screenshot(path=str(ARTIFACTS / "lessons-scenario.png"), full_page=True)
    assert watched.errors == [] and watched.foreign == []


def test_every_scenario_draws_and_links_to_the_studio(watched, live_server):
    watched.goto(live_server + "/lessons")
    watched.wait_for_function("() => document.body.dataset.ready === '1'", timeout=20000)
    ids = watched.evaluate("() => window.optivizLessons.scenarios.map(s => s.id)")
    assert len(ids) == 9
    for sid in ids:
        watched.click(f'#scenario-list a[data-id="{sid}"]')
        watched.wait_for_function(f"() => document.body.dataset.scenario === '{sid}'", timeout=20000)
        href = watched.get_attribute("#sc-open", "href")
        assert href.startswith("./#") or href == "#sweep"
    # the last scenario's studio link opens the exact comparison
    watched.click('#scenario-list a[data-id="nesterov"]')
    watched.wait_for_function("() => document.body.dataset.scenario === 'nesterov'")
    watched.click("#sc-open")
    watched.wait_for_function("() => window.optiviz && document.body.dataset.ready === '1'", timeout=20000)
    assert watched.evaluate("() => window.optiviz.state.runs.map(r => r.optimizer)") == ["momentum", "nesterov"]
    assert watched.errors == []


def test_ewa_sweep_and_basins(watched, live_server):
    watched.goto(live_server + "/lessons#sweep")
    watched.wait_for_function("() => document.body.dataset.ready === '1'", timeout=20000)
    watched.check("#ewa-bias")
    watched.uncheck("#ewa-bias")
    watched.wait_for_timeout(300)
    assert watched.evaluate("() => document.getElementById('ewa-plot').data.length") == 4  # data + 3 uncorrected
    watched.click("#ewa details summary")
    watched.fill("#ewa-series", "1, 2, x")
    watched.wait_for_function("() => document.getElementById('ewa-error').textContent.length > 0")
    watched.click("#sw-run")
    watched.wait_for_function("() => document.body.dataset.sweep === 'done'", timeout=30000)
    assert watched.evaluate("() => document.getElementById('sw-progress').value") == 1
    z = watched.evaluate("() => document.getElementById('sw-plot').data[0].z.length")
    assert z == 12
    watched.click("#bs-run")
    watched.wait_for_function("() => document.body.dataset.basins === 'done'", timeout=30000)
    watched.click("#rc-run")
    watched.wait_for_function("() => document.body.dataset.race === 'done'", timeout=30000)
    assert watched.get_attribute("#rc-open", "href").startswith("./#")
    watched.screenshot(path=str(ARTIFACTS / "lessons-tools.png"), full_page=True)
    assert watched.errors == []
