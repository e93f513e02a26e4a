"""The LSTM cell diagram drawn for the book (chapter 2).

* :func:`draw_lstm_cell` draws the cell with matplotlib: the cell-state "conveyor belt"
  along the top, the four gates (forget, input, candidate, output) below it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

_GATE_COLOURS = {"f": "#d95f02", "i": "#1b9e77", "c": "#7570b3", "o": "#e7298a"}


def _arrow(ax: plt.Axes, points: Sequence[tuple[float, float]], colour: str = "black") -> None:
    """A polyline through ``points`` with an arrow head on its last segment."""
    xs, ys = zip(*points, strict=True)
    if len(points) > 2:
        ax.plot(xs[:-1], ys[:-1], color=colour, lw=1.6, solid_capstyle="round")
    ax.add_patch(
        FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=14,
                        color=colour, lw=1.6, shrinkA=0, shrinkB=0)
    )


def _op(ax: plt.Axes, xy: tuple[float, float], symbol: str, radius: float = 0.28) -> None:
    """A pointwise operation: a circle with ``symbol`` inside."""
    ax.add_patch(Circle(xy, radius, facecolor="#fff7bc", edgecolor="black", lw=1.4, zorder=3))
    ax.text(*xy, symbol, ha="center", va="center", fontsize=13, zorder=4)


def _gate(ax: plt.Axes, x: float, y: float, key: str, activation: str) -> None:
    """A gate: a box with its activation inside and its name below."""
    w, h = 0.9, 0.62
    ax.add_patch(
        FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                       facecolor=_GATE_COLOURS[key], edgecolor="black", lw=1.2, zorder=3)
    )
    ax.text(x, y, activation, ha="center", va="center", fontsize=12, color="white",
            zorder=4, fontweight="bold")
    symbol = r"$\tilde c_t$" if key == "c" else rf"${key}_t$"
    ax.text(x + 0.1, y - 0.62, symbol, ha="left", va="center", fontsize=11, zorder=4)


def draw_lstm_cell(ax: plt.Axes | None = None) -> plt.Axes:
    """Draw one LSTM cell: the cell-state conveyor belt on top, the four gates below it.

    The inputs :math:`h_{t-1}` and :math:`x_t` are concatenated on the bottom line and
    feed the four gates; the forget gate scales :math:`c_{t-1}`, the input gate scales
    the candidate :math:`\\tilde c_t`, their sum is :math:`c_t`, and the output gate
    scales :math:`\\tanh(c_t)` to give :math:`h_t`, which leaves the cell twice: as the
    layer's output at step ``t`` (downwards) and as the hidden state of step ``t + 1``
    (to the right).

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw; a new 10 x 5.6 inch figure when omitted.

    Returns
    -------
    matplotlib Axes
        The axes, with the axis lines switched off (a diagram has no scale).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.6))
    ax.set_xlim(-0.6, 12.6)
    ax.set_ylim(-0.6, 7.0)
    ax.set_aspect("equal")
    ax.add_patch(
        FancyBboxPatch((1.4, 0.7), 8.8, 5.6, boxstyle="round,pad=0.1", facecolor="#f0f4fa",
                       edgecolor="#4a6fa5", lw=1.5, zorder=0)
    )
    belt_y, bus_y, gate_y, mix_y = 5.5, 1.3, 2.7, 4.1
    fx, ix, cx, ox, tx = 3.3, 4.8, 6.1, 7.5, 8.9
    # Cell-state conveyor belt: c_{t-1} -> x f -> + -> c_t.
    ax.plot([0.0, fx - 0.28], [belt_y, belt_y], color="black", lw=2.6)
    ax.plot([fx + 0.28, ix - 0.28], [belt_y, belt_y], color="black", lw=2.6)
    _arrow(ax, [(ix + 0.28, belt_y), (12.0, belt_y)])
    ax.text(-0.5, belt_y + 0.35, r"$c_{t-1}$", fontsize=13)
    ax.text(11.3, belt_y + 0.35, r"$c_t$", fontsize=13)
    ax.text(6.0, belt_y + 0.5, "cell state: the conveyor belt", fontsize=10, style="italic",
            ha="center")
    _op(ax, (fx, belt_y), r"$\times$")
    _op(ax, (ix, belt_y), "+")
    # Bottom bus: [h_{t-1}, x_t] feeds every gate.
    ax.plot([0.0, ox], [bus_y, bus_y], color="black", lw=1.6)
    ax.text(-0.5, bus_y - 0.5, r"$h_{t-1}$", fontsize=13)
    _arrow(ax, [(2.2, -0.4), (2.2, bus_y)])
    ax.text(2.35, -0.4, r"$x_t$", fontsize=13)
    for key, x, act in (("f", fx, r"$\sigma$"), ("i", ix, r"$\sigma$"),
                        ("c", cx, "tanh"), ("o", ox, r"$\sigma$")):
        _arrow(ax, [(x, bus_y), (x, gate_y - 0.35)])
        _gate(ax, x, gate_y, key, act)
    # Forget gate scales the old cell state.
    _arrow(ax, [(fx, gate_y + 0.35), (fx, belt_y - 0.28)], _GATE_COLOURS["f"])
    # Input gate times candidate, added to the belt.
    _op(ax, (ix, mix_y), r"$\times$")
    _arrow(ax, [(ix, gate_y + 0.35), (ix, mix_y - 0.28)], _GATE_COLOURS["i"])
    _arrow(ax, [(cx, gate_y + 0.35), (cx, mix_y), (ix + 0.28, mix_y)], _GATE_COLOURS["c"])
    _arrow(ax, [(ix, mix_y + 0.28), (ix, belt_y - 0.28)])
    # Output: h_t = o * tanh(c_t).
    ax.add_patch(FancyBboxPatch((tx - 0.45, mix_y - 0.25), 0.9, 0.5, boxstyle="round,pad=0.04",
                                facecolor="white", edgecolor="black", lw=1.2, zorder=3))
    ax.text(tx, mix_y, "tanh", ha="center", va="center", fontsize=11, zorder=4)
    _arrow(ax, [(tx, belt_y), (tx, mix_y + 0.3)])
    _op(ax, (tx, gate_y), r"$\times$")
    _arrow(ax, [(tx, mix_y - 0.3), (tx, gate_y + 0.28)])
    _arrow(ax, [(ox + 0.5, gate_y), (tx - 0.28, gate_y)], _GATE_COLOURS["o"])
    _arrow(ax, [(tx, gate_y - 0.28), (tx, bus_y), (12.0, bus_y)])
    ax.text(11.3, bus_y + 0.3, r"$h_t$", fontsize=13)
    # h_t is also the layer's output at step t: a branch leaving the cell downwards.
    ax.plot([10.8], [bus_y], marker="o", ms=5, color="black", zorder=4)
    _arrow(ax, [(10.8, bus_y), (10.8, -0.4)])
    ax.text(10.95, -0.4, r"output $h_t$", fontsize=12)
    ax.text(11.3, bus_y - 0.45, "to step $t+1$", fontsize=9, style="italic")
    ax.text(5.4, 0.85, r"$[h_{t-1}, x_t]$ feeds all four gates", fontsize=10, style="italic",
            ha="center")
    ax.set_title(r"One LSTM cell: forget $f$, input $i$, candidate $\tilde c$ and output $o$")
    ax.set_axis_off()
    return ax
