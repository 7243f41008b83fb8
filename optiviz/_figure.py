"""`Result.figure()`: the studio's map and loss chart as one plotly Figure; `NetworkResult.figure()`:
the network's landscape and loss curves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from optiviz._colors import Style
    from optiviz._core import Result


# both figures' frame: a map beside its curves, the legend under them
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 480,
    "legend": {"orientation": "h", "y": -0.15},
    "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
}


def contour_z(grid: dict[str, Any]) -> tuple[np.ndarray, bool]:
    """The contour's values by the grid answer's rule (``contour``: computed by the server, the same
    the studio draws): log10(z − zmin + eps) for log levels, else z; NaN where undefined."""
    z = np.array([[np.nan if v is None else v for v in row] for row in grid["z"]], dtype=float)
    rule = grid["contour"]
    if not rule["log"]:
        return z, False
    with np.errstate(all="ignore"):
        return np.log10(z - rule["zmin"] + rule["eps"]), True


def figure(res: Result, n: int = 120) -> Any:
    """Left: contour map of the surface (the grid service's values) with each run's path as a line
    from its start (a circle) to its end; right: loss per step (log scale). Each run has its own colour
    and its optimizer's dash, as in the studio (`Result.styles`); one legend entry per run (its label,
    which names the optimizer) toggles all its traces."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    grid = res.grid(n)
    cz, log = contour_z(grid)
    styles = res.styles()
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.1,
        subplot_titles=(res.surface.get("name", ""), "loss"),
    )
    fig.add_trace(
        go.Contour(
            x=grid["x"],
            y=grid["y"],
            z=cz,
            name="log₁₀ loss" if log else "loss",
            colorscale=[[0, "#8a8a8a"], [1, "#d0d0d0"]],
            showscale=False,
            ncontours=30,
            contours={"coloring": "lines"},
            hoverinfo="skip",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    minima = res.surface.get("minima") or []
    if minima:
        fig.add_trace(
            go.Scatter(
                x=[m[0] for m in minima],
                y=[m[1] for m in minima],
                mode="markers",
                name="minimum",
                showlegend=False,
                marker={"color": "#000000", "size": 9, "symbol": "x-thin", "line": {"width": 2}},
                meta={"role": "minimum"},
            ),
            row=1,
            col=1,
        )
    for i, r in enumerate(res.runs):
        color, dash = styles[i]["color"], styles[i]["dash"]
        group = f"run{i}"
        fig.add_trace(
            go.Scatter(
                x=r.x,
                y=r.y,
                mode="lines",
                name=r.label,
                legendgroup=group,
                line={"color": color, "width": 2, "dash": dash},
                meta={"role": "path", "run": i},
            ),
            row=1,
            col=1,
        )
        if r.evals is not None:  # L-BFGS: its loss evaluations (line-search trials included) as small markers
            fig.add_trace(
                go.Scatter(
                    x=r.evals["x"],
                    y=r.evals["y"],
                    mode="markers",
                    name=f"{r.label} evaluations",
                    legendgroup=group,
                    showlegend=False,
                    marker={"color": color, "size": 5, "opacity": 0.75},
                    meta={"role": "evals", "run": i},
                ),
                row=1,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=r.x[:1],
                y=r.y[:1],
                mode="markers",
                name=f"{r.label} start",
                legendgroup=group,
                showlegend=False,
                marker={"color": color, "size": 8, "symbol": "circle-open"},
                meta={"role": "start", "run": i},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(r.loss)),
                y=r.loss,
                mode="lines",
                name=r.label,
                legendgroup=group,
                showlegend=False,
                line={"color": color, "width": 2, "dash": dash},
                meta={"role": "loss", "run": i},
            ),
            row=1,
            col=2,
        )
        for k, link in zip(r.switches or [], (r.optimizers or [])[1:], strict=False):
            # an optimizer chain: where a later link took over, on the map and on the loss curve
            text = f"{r.label}: switch → {link['optimizer']} at step {k}"
            for col, (x, y) in ((1, (r.x, r.y)), (2, (np.arange(len(r.loss)), r.loss))):
                fig.add_trace(
                    go.Scatter(
                        x=x[k : k + 1],
                        y=y[k : k + 1],
                        mode="markers",
                        name=text,
                        legendgroup=group,
                        showlegend=False,
                        hovertemplate=f"{text}<extra></extra>",
                        marker={
                            "color": color,
                            "size": 11,
                            "symbol": "diamond",
                            "line": {"color": "#FFFFFF", "width": 1.5},
                        },
                        meta={"role": "switch", "run": i, "step": k},
                    ),
                    row=1,
                    col=col,
                )
    xr, yr = res.surface["x_range"], res.surface["y_range"]
    fig.update_xaxes(title_text="x", range=list(xr), row=1, col=1)
    fig.update_yaxes(title_text="y", range=list(yr), row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=2)
    losses = np.concatenate([r.loss[np.isfinite(r.loss)] for r in res.runs])
    if losses.size and losses.min() > 0:  # decades only (10ᵏ), no minor labels, when the losses span one
        decades = np.log10(losses.max()) - np.log10(losses.min()) >= 1
        fig.update_yaxes(
            title_text="loss", type="log", dtick=1 if decades else None, exponentformat="power", row=1, col=2
        )
    else:
        fig.update_yaxes(title_text="loss", row=1, col=2)
    fig.update_layout(**_LAYOUT)
    return fig


def _nan(values: Any) -> np.ndarray:
    """A JSON array of numbers (null: NaN) as float64, any depth."""
    if isinstance(values, list) and values and isinstance(values[0], list):
        return np.array([_nan(v) for v in values], dtype=float)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def network_figure(answer: dict[str, Any], styles: list[Style]) -> Any:
    """The figure of a network answer (``POST /api/v1/networks``, as JSON decodes it). Left: the
    plane's train-loss contour (``loss[j][i]`` at a[i], b[j]) with each run's recorded path as a
    line from the shared init (a circle) to its end, on a white halo; right: each run's train loss
    (solid) and test loss (dotted) per epoch. Each run has its own colour and, on the plane, its optimizer's dash
    (``styles``: `NetworkResult.styles`); one legend entry per run toggles its traces. The fidelity
    beside it: each run's legend entry gives its ``captured`` share of its displacement; for PCA the
    title gives the explained variance against the plane's ``random_walk`` (a random walk's share) and
    the axes each direction's."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    plane = answer["plane"]
    title = f"train loss on the {plane['kind']} plane"
    if plane.get("explained") and plane.get("random_walk") is not None:  # the PCA's share, and a random walk's
        shares = 100 * sum(plane["explained"]), 100 * plane["random_walk"]
        title += ": {:.0f} % explained (a random walk: {:.0f} %)".format(*shares)
    spacing = 0.17  # room between the panels for the colour bar and the right panel's axis labels
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=spacing,
        subplot_titles=(title, "loss per epoch (train solid, test dotted)"),
    )
    fig.add_trace(
        go.Contour(
            x=_nan(plane["a"]),
            y=_nan(plane["b"]),
            z=_nan(plane["loss"]),
            name="train loss",
            colorscale="Viridis",
            reversescale=True,
            ncontours=30,
            colorbar={"x": 0.55 * (1 - spacing) + 0.01, "xanchor": "left", "len": 0.9, "thickness": 12},
            meta={"role": "landscape"},
        ),
        row=1,
        col=1,
    )
    for i, r in enumerate(answer["runs"]):
        color = styles[i]["color"]
        path = r["path"]
        a, b = _nan(path["a"]), _nan(path["b"])
        captured = r.get("captured")  # the share of the run's displacement the plane shows
        fig.add_trace(  # a white halo beneath the path: every run's colour readable on the colour scale
            go.Scatter(
                x=a,
                y=b,
                mode="lines",
                name=f"{r['label']} halo",
                legendgroup=f"run{i}",
                showlegend=False,
                hoverinfo="skip",
                line={"color": "#FFFFFF", "width": 5},
                meta={"role": "halo", "run": i},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=a,
                y=b,
                mode="lines",
                name=r["label"] if captured is None else f"{r['label']} ({100 * captured:.0f} % on the plane)",
                legendgroup=f"run{i}",
                line={"color": color, "width": 2, "dash": styles[i]["dash"]},
                customdata=np.stack([_nan(path["step"]), _nan(path["loss"]), _nan(path["plane_loss"])], axis=-1),
                hovertemplate="update %{customdata[0]}<br>loss %{customdata[1]:.4g}"
                "<br>on the plane %{customdata[2]:.4g}<extra>%{fullData.name}</extra>",
                meta={"role": "path", "run": i},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=a[:1],
                y=b[:1],
                mode="markers",
                name=f"{r['label']} start",
                legendgroup=f"run{i}",
                showlegend=False,
                marker={"color": color, "size": 8, "symbol": "circle-open"},
                meta={"role": "start", "run": i},
            ),
            row=1,
            col=1,
        )
        for key, dash in (("train_loss", "solid"), ("test_loss", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(len(r[key])),
                    y=_nan(r[key]),
                    mode="lines",
                    name=f"{r['label']} {key.split('_')[0]}",
                    legendgroup=f"run{i}",
                    showlegend=False,
                    line={"color": color, "width": 2, "dash": dash},
                    meta={"role": key, "run": i},
                ),
                row=1,
                col=2,
            )
    explained = plane.get("explained") or [None, None]
    for update, name, share in ((fig.update_xaxes, "a (d₁)", explained[0]), (fig.update_yaxes, "b (d₂)", explained[1])):
        update(title_text=name if share is None else f"{name}: {100 * share:.1f} % of the variance", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(title_text="loss", row=1, col=2)
    fig.update_layout(**_LAYOUT)
    return fig
