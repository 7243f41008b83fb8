"""The studio on a 2D surface does not offer the matrix optimizers (Adafactor, Muon, LAMB: they
train networks only); a permalink that names one keeps it and shows the server's refusal."""

from __future__ import annotations

import json
import urllib.parse

from tests.web.studio_helpers import api, settled


def options(page, run: int) -> list[str]:
    """The values of run ``run``'s optimizer menu."""
    menu = f"document.querySelector('[data-run=\"{run}\"] .opt-select')"
    return page.evaluate(f"() => [...{menu}.options].map(o => o.value)")


def test_the_run_menu_lists_every_optimizer_but_the_matrix_ones(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=rosenbrock&n=20")
    settled(page)
    catalogue = api(live_server, "/api/v1/optimizers")
    matrix = {o["id"] for o in catalogue if o["networks_only"]}
    assert matrix == {"adafactor", "muon", "lamb"}
    assert options(page, 0) == [o["id"] for o in catalogue if not o["networks_only"]]
    assert not page.errors


def test_a_permalink_naming_muon_shows_why_it_does_not_run(watched, live_server) -> None:
    page = watched
    runs = [{"o": "adam", "p": {"lr": 0.05}}, {"o": "muon"}]
    page.goto(live_server + f"/#s=rosenbrock&n=20&r={urllib.parse.quote(json.dumps(runs))}")
    page.wait_for_function("() => document.getElementById('run-error').textContent.includes('Muon')", timeout=30000)
    error = page.locator("#run-error").inner_text()
    assert "network" in error
    # the run keeps its optimizer (the menu shows it), the others are still offered
    menu = options(page, 1)
    assert "muon" in menu and "adafactor" not in menu and "adam" in menu
    assert page.locator('[data-run="1"] .opt-select').input_value() == "muon"
