"""The Python API's fixtures: a live server for `optiviz.Client`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.servers import free_port, start_app, stop


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A running app (`python -m app.cli serve`) on a free port: its base URL."""
    port = free_port()
    proc = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)
