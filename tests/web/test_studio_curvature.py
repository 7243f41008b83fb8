"""The curvature overlay: Hessian axes at the inspected point, numbers, and 2/λmax on the lr sliders."""

from __future__ import annotations

import json
import urllib.parse

import pytest

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
    page.wait_for_function("() => (document.getElementById('map').layout.annotations || []).some(a => /^λ₂=/.test(a.text || ''))")
    notes = page.evaluate("() => document.getElementById('map').layout.annotations.filter(a => /^λ/.test(a.text || '')).map(a => a.text)")
    assert len(notes) == 2
    text = page.inner_text("#curv-text")
    if surface == "elongated_bowl":
        assert "κ = 20" in text and "0.5" in text
    # 2/λmax is a tick on the lr sliders
    assert page.evaluate("() => [...document.querySelectorAll('input[data-slider=\"lr\"]')].every(s => s.getAttribute('list') === 'lr-marks')")
    page.locator("#map").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_curvature.png"))
    page.uncheck("#curv-show")
    page.wait_for_function("() => !(document.getElementById('map').layout.annotations || []).some(a => /^λ/.test(a.text || ''))")
    assert page.errors == [] and page.foreign == []
