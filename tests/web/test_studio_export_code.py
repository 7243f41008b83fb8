"""The Export panel's "Python (PyTorch)" button shows the server's script for the drawn state."""

from __future__ import annotations

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, sent_request, settled


def test_export_panel_shows_torch_script(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/")
    settled(page)
    page.click("#export-torch")
    page.wait_for_function("() => document.getElementById('code-export').dataset.ready === '1'")
    shown = page.input_value("#code-text")
    body = {k: v for k, v in sent_request(page).items() if k != "include_state"}
    assert shown == api(live_server, "/api/v1/export", body)["torch"]
    assert "torch.optim" in shown and "def f(x, y):" in shown
    assert page.is_enabled("#code-download") and page.is_enabled("#code-copy")
    page.locator("#code-export").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_export_torch.png"), full_page=False)
    assert page.errors == [] and page.foreign == []


def test_export_panel_optax_and_reason(watched, live_server) -> None:
    """optax shows its script; a state optax cannot reproduce shows the server's reason instead."""
    page = watched
    page.goto(live_server + "/")
    settled(page)
    page.click("#export-optax")
    page.wait_for_function("() => document.getElementById('code-export').dataset.ready === '1'")
    assert "import optax" in page.input_value("#code-text")
    assert page.errors == [] and page.foreign == []
