"""The Python API finds the server under the one name it has: `app` in the source tree (a wheel
installs it as optiviz.server, see tests/deploy/test_wheel.py), never both in one process."""

import sys

import optiviz
from optiviz import _server


def test_the_source_tree_server_is_app_and_loaded_once() -> None:
    res = optiviz.run(surface="booth", runs=[{"optimizer": "gd"}], steps=3)
    assert res.runs[0].steps_taken == 3
    assert _server.NAME == "app"
    assert _server.module("api.service") is sys.modules["app.api.service"]
    assert not any(name.startswith("optiviz.server") for name in sys.modules)
