"""GET /api/v1/run_colors: the data of the rule that gives every run its own colour (the studio, the
lessons and the Python package's figures take it from here)."""

from __future__ import annotations

from app.registry import OPTIMIZERS, RUN_COLORS
from app.settings import get_settings


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_palette_is_served_as_the_registry_declares_it(client) -> None:
    answer = client.get("/api/v1/run_colors", params={"lang": "zh"})
    assert answer.status_code == 200
    assert answer.json() == RUN_COLORS
    assert answer.json()["dashes"][0] == "solid"  # a single run of an optimizer: a plain line


def test_spare_colours_are_readable_and_distinct() -> None:
    """As the optimizers' colours: #rrggbb, contrast with white ≥ 2.2 (on the white charts, beside the
    grey contour), none twice, none an optimizer's."""
    spare = [c.lower() for c in RUN_COLORS["spare"]]
    assert all(len(c) == 7 and c[0] == "#" and int(c[1:], 16) >= 0 for c in spare)  # hex, or int() raises
    assert len(set(spare)) == len(spare) >= get_settings().max_runs  # one for each of the most runs
    assert not set(spare) & {o.color.lower() for o in OPTIMIZERS.values()}
    for c in spare:
        assert 1.05 / (_luminance(c) + 0.05) >= 2.2, c
