"""The server package, under the name it is installed as: one place decides.

A wheel installs it as ``optiviz.server`` (see setup.py); the source tree and an editable install
have it as ``app``. Everything outside the server that uses it (the Python API, the ``optiviz``
command) imports it through `module`, so one process never holds the same code under both names.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

NAME = "optiviz.server" if importlib.util.find_spec(f"{__package__}.server") is not None else "app"


def module(name: str) -> ModuleType:
    """The server's module ``name`` (e.g. ``"api.service"``), imported on first use."""
    return importlib.import_module(f"{NAME}.{name}")


def main(argv: list[str] | None = None) -> int:
    """The ``optiviz`` command: the server's own command line (app/cli.py), handed the Python API's
    figure of a network answer (``optiviz train … --html``)."""
    return int(module("cli").main(argv, network_html=_network_html))


def _network_html(answer: dict[str, Any]) -> str:
    """The figure of a network answer (`optiviz.NetworkResult.figure`) as a self-contained HTML page."""
    from optiviz._colors import run_styles
    from optiviz._figure import network_figure

    styles = run_styles(answer["runs"], optimizer_colors(), module("registry").RUN_COLORS)
    html: str = network_figure(answer, styles).to_html(include_plotlyjs=True, full_html=True)
    return html


def optimizer_colors() -> dict[str, str]:
    """Each optimizer's colour, from the server's registry."""
    return {k: spec.color for k, spec in module("registry").OPTIMIZERS.items()}
