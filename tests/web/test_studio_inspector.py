"""The step inspector shows, for the chosen run at the scrubbed update, the numbers include_state has."""

from __future__ import annotations

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import settled

INSPECTED = "() => window.optiviz.inspected"


def _wait(page, run, t):
    page.wait_for_function(
        "() => { const b = document.getElementById('inspector'); return b.dataset.ready === '1'"
        f" && b.dataset.run === '{run}'"
        f" && b.dataset.t === '{t}'; }}",
        timeout=20000,
    )


def _check(page, run, t):
    _wait(page, run, t)
    data = page.evaluate(INSPECTED)
    d = page.evaluate(f"() => window.optiviz.model.result.runs[{run}]")
    st = d["state"]
    assert data["g"] == [st["gx"][t], st["gy"][t]]
    lines = {line["symbol"]: (line["x"], line["y"]) for line in data["lines"]}
    if st.get("mx"):
        assert any(abs(v[0] - st["mx"][t]) <= 1e-12 * abs(st["mx"][t]) + 1e-300 for v in lines.values())
    if st.get("eff_lr_x"):
        assert abs(lines["αᵢ"][0] - st["eff_lr_x"][t]) <= 1e-12 * st["eff_lr_x"][t]
    rows = page.locator("#inspect-body tr")
    assert rows.count() == len(data["lines"])
    assert rows.first.locator("td").first.inner_text().startswith("g = ∇f(θ)")
    return data


def test_inspector_follows_scrub_and_run_choice(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/")
    settled(page)
    last = page.evaluate("() => window.optiviz.model.result.runs[0].lr.length - 1")
    _check(page, 0, last)
    page.locator("#scrub").fill("5")
    _check(page, 0, 5)
    adam = page.evaluate("() => window.optiviz.model.result.request.runs.findIndex(r => r.optimizer === 'adam')")
    assert adam >= 0
    page.select_option("#inspect-run", str(adam))
    data = _check(page, adam, 5)
    assert {"m", "v", "m̂", "v̂", "αᵢ", "Δθ"} <= {line["symbol"] for line in data["lines"]}
    page.locator("#inspector").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_inspector.png"))
    assert page.errors == [] and page.foreign == []
