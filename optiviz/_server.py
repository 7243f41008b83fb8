"""The server package, under the name it is installed as: one place decides.

A wheel installs it as ``optiviz.server`` (see setup.py); the source tree and an editable install
have it as ``app``. Everything outside the server that uses it (the Python API, the ``optiviz``
command) imports it through `module`, so one process never holds the same code under both names.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

NAME = "optiviz.server" if importlib.util.find_spec(f"{__package__}.server") is not None else "app"


def module(name: str) -> ModuleType:
    """The server's module ``name`` (e.g. ``"api.service"``), imported on first use."""
    return importlib.import_module(f"{NAME}.{name}")


def main() -> int:
    """The ``optiviz`` command: the server's own command line (app/cli.py)."""
    return int(module("cli").main())
