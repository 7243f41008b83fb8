"""Every run its own colour, the optimizer in its dash: the studio's rule (static/js/colors.js), for the
package's figures. The first run of an optimizer is drawn in the optimizer's colour, a further run in the
first colour of the palette's ``spare`` at least ``far`` (ΔE*ab) from every colour already drawn (else
the one farthest from them); a colour the user chose wins. The k-th run of one optimizer takes the k-th
of the palette's ``dashes``. The palette is the server's (``GET /api/v1/run_colors``, the registry's
``RUN_COLORS``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypedDict


class Style(TypedDict):
    """How one run is drawn: its line colour (#rrggbb) and its plotly dash."""

    color: str
    dash: str


@cache
def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a #rrggbb colour."""

    def channel(k: int) -> float:
        c = int(hex_colour[k : k + 2], 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    def f(v: float) -> float:
        return math.cbrt(v) if v > 216 / 24389 else (24389 / 27 * v + 16) / 116

    r, g, b = (channel(k) for k in (1, 3, 5))
    x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047)
    y = f(0.2126 * r + 0.7152 * g + 0.0722 * b)
    z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    return 116 * y - 16, 500 * (x - y), 200 * (y - z)


def distance(a: str, b: str) -> float:
    """ΔE*ab (CIE 1976) between two #rrggbb colours."""
    return math.dist(_lab(a.lower()), _lab(b.lower()))


def _free(used: list[str], spare: Sequence[str], far: float) -> str:
    """The first spare colour at least `far` from every colour `used`, else the one farthest from them."""
    best, best_d = spare[0], -1.0
    for c in spare:
        d = min((distance(c, u) for u in used), default=math.inf)
        if d >= far:
            return c
        if d > best_d:
            best, best_d = c, d
    return best


def run_styles(runs: Sequence[Mapping[str, Any]], colors: Mapping[str, str], palette: Mapping[str, Any]) -> list[Style]:
    """Each run's colour and dash. ``runs``: ``{"optimizer": id, "color": "#rrggbb" (optional)}`` each;
    ``colors``: each optimizer's colour (``GET /api/v1/optimizers``); ``palette``: ``{"spare", "far",
    "dashes"}`` (``GET /api/v1/run_colors``)."""
    spare, far, dash_cycle = palette["spare"], float(palette["far"]), palette["dashes"]
    seen: dict[str, int] = {}
    dashes = []
    for r in runs:
        k = seen[r["optimizer"]] = seen.get(r["optimizer"], -1) + 1
        dashes.append(dash_cycle[k % len(dash_cycle)])
    chosen: list[str | None] = [r.get("color") or None for r in runs]

    def taken() -> list[str]:
        return [c.lower() for c in chosen if c]

    firsts = {r["optimizer"]: i for i, r in reversed(list(enumerate(runs)))}
    for i, r in enumerate(runs):  # the first run of each optimizer: its colour, unless a run already has it
        own = colors.get(r["optimizer"], "#000000")
        if chosen[i] is None and firsts[r["optimizer"]] == i and own.lower() not in taken():
            chosen[i] = own
    for i in range(len(runs)):
        if chosen[i] is None:
            chosen[i] = _free(taken(), spare, far)
    return [{"color": str(c), "dash": d} for c, d in zip(chosen, dashes, strict=True)]
