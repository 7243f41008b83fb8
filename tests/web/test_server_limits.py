"""The studio follows the limits the server publishes (GET /api/v1/limits) and the languages it has
(GET /api/v1/messages): served different ones (route interception), the controls and permalinks
follow them. The scripts write none of them."""

from __future__ import annotations

import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, ready, sent_request, settled

MAX_RUNS = 5
MAX_CHAIN = 2


def serve_limits(page, live_server, **changes):
    limits = {**api(live_server, "/api/v1/limits"), **changes}
    page.route(
        "**/api/v1/limits",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(limits)),
    )
    return limits


def test_run_count_and_chain_length_follow_the_served_limits(watched, live_server):
    serve_limits(watched, live_server, max_runs=MAX_RUNS, max_chain_length=MAX_CHAIN)
    linear = {"name": "linear", "params": {"start_factor": 0.1, "total_iters": 10}}
    runs = [{"o": "gd", "p": {"lr": 0.01 * (k + 1)}, "s": linear} for k in range(MAX_RUNS + 2)]
    hash_ = urllib.parse.urlencode({"s": "elongated_bowl", "n": 50, "r": json.dumps(runs)})
    watched.goto(f"{live_server}/#{hash_}")
    settled(watched)
    # a permalink with more runs than the server allows opens with the allowed number
    assert watched.locator(".run-card").count() == MAX_RUNS
    assert [r["params"]["lr"] for r in sent_request(watched)["runs"]] == [0.01 * (k + 1) for k in range(MAX_RUNS)]
    watched.wait_for_function("() => document.getElementById('add-run').disabled", timeout=10000)
    # the chain: links up to the served length, then the button is disabled
    add = 'button[data-action="chain-add"][data-run="0"]'
    for k in range(MAX_CHAIN):
        watched.click(add)
        watched.wait_for_function(
            f"() => (window.optiviz.state.runs[0].schedule?.chain || []).length === {k + 1}", timeout=10000
        )
    watched.wait_for_function(f"() => document.querySelector('{add}').disabled", timeout=10000)
    watched.click(add, force=True)  # a forced click on the disabled button adds nothing
    ready(watched, timeout=60000)
    assert len(sent_request(watched)["runs"][0]["schedule"]["chain"]) == MAX_CHAIN
    watched.screenshot(path=str(ARTIFACTS / "studio-served-limits.png"))
    assert watched.errors == []


def test_a_permalink_chain_is_cut_at_the_served_length(watched, live_server):
    serve_limits(watched, live_server, max_chain_length=MAX_CHAIN)
    chain = [{"milestone": 10 * (k + 1), "name": "constant", "params": {}} for k in range(MAX_CHAIN + 3)]
    runs = [{"o": "adam", "p": {"lr": 0.1}, "s": {"name": "constant", "params": {}, "warmup_steps": 0, "chain": chain}}]
    watched.goto(f"{live_server}/#{urllib.parse.urlencode({'n': 80, 'r': json.dumps(runs)})}")
    settled(watched)
    assert [c["milestone"] for c in sent_request(watched)["runs"][0]["schedule"]["chain"]] == [10, 20]
    assert watched.errors == []


def test_the_language_switch_goes_through_the_served_languages(watched, live_server):
    """A server with one language only: the switch stays on it (the scripts list none)."""
    real = api(live_server, "/api/v1/messages?lang=en")

    def one_language(route):
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**real, "languages": ["en"]}))

    watched.route("**/api/v1/messages*", one_language)
    watched.goto(f"{live_server}/")
    settled(watched)
    watched.click("#lang-switch")
    watched.wait_for_function("() => window.optiviz.state.lang === 'en'", timeout=10000)
    assert watched.evaluate("document.documentElement.lang") == "en"
    assert watched.errors == []
