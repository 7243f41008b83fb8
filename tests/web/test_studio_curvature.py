"""The curvature overlay: Hessian axes at the inspected point, numbers, and 2/λmax on the lr sliders."""

from __future__ import annotations

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, settled


def test_curvature_overlay_on_the_bowl(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=elongated_bowl")
    settled(page)
    page.check("#curv-show")
    page.wait_for_function("() => document.getElementById('inspector').dataset.curvature === '1'", timeout=20000)
    c = page.evaluate("() => window.optiviz.curvature")
    point = page.evaluate("() => window.optiviz.inspected.theta")
    surface = page.evaluate("() => window.optiviz.model.result.request.surface")
    assert c == api(live_server, "/api/v1/curvature", {"surface": surface, "point": point})
    # drawn: two axes through the point, labelled with the eigenvalues
    page.wait_for_function(
        "() => (document.getElementById('map').layout.annotations || []).some(a => /^λ₂=/.test(a.text || ''))"
    )
    notes = page.evaluate(
        "() => document.getElementById('map').layout.annotations.filter(a => /^λ/.test(a.text || '')).map(a => a.text)"
    )
    assert len(notes) == 2
    text = page.inner_text("#curv-text")
    if surface == "elongated_bowl":
        assert "κ = 20" in text and "0.5" in text
    # 2/λmax is a tick on the lr sliders
    assert page.evaluate(
        "() => [...document.querySelectorAll('input[data-slider=\"lr\"]')].every(s => s.getAttribute('list')"
        " === 'lr-marks')"
    )
    page.locator("#map").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_curvature.png"))
    page.uncheck("#curv-show")
    page.wait_for_function(
        "() => !(document.getElementById('map').layout.annotations || []).some(a => /^λ/.test(a.text || ''))"
    )
    assert page.errors == [] and page.foreign == []


def test_gradient_noise_ellipse_on_a_data_set(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=linear_regression")
    settled(page)
    runs = page.evaluate("() => window.optiviz.model.result.request.runs")
    mini = next(i for i, r in enumerate(runs) if r.get("batch_size") == 32)
    page.select_option("#inspect-run", str(mini))
    page.check("#curv-show")
    page.wait_for_function(
        f"() => document.getElementById('inspector').dataset.run === '{mini}' && window.optiviz.noise"
        " && (document.getElementById('map').layout.shapes || []).some(s => s.type === 'path')",
        timeout=20000,
    )
    n = page.evaluate("() => window.optiviz.noise")
    point = page.evaluate("() => window.optiviz.inspected.theta")
    assert n == api(
        live_server, "/api/v1/gradient_noise", {"surface": "linear_regression", "point": point, "batch_size": 32}
    )
    assert "32" in page.inner_text("#curv-text")
    page.locator("#map").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_noise_ellipse.png"))
    assert page.errors == [] and page.foreign == []
