"""The app served on a free port for the browser benchmarks (as tests/web/conftest.py's live_server)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.web.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def served(wait: float = 60.0) -> Iterator[str]:
    """The base URL of a fresh server (its process ended on exit), once its health check answers."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=dict(os.environ, OPTIVIZ_LOG_LEVEL="warning"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        due = time.monotonic() + wait
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > due or proc.poll() is not None:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
