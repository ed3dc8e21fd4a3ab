"""Drawing primitives for the report's plots (matplotlib, Agg): one colour per target in every
plot, lines only where there are two points or more, and a record of what was drawn.

`Chart` wraps one figure. Everything that puts data on it goes through its methods, which
remember what was drawn (lines and their point counts, markers, bars) in `meta`: tests assert
on that instead of analysing images, and a line of one point can never slip through — it is
drawn, and recorded, as a marker.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence

# matplotlib's tab10, then ten more that stay apart from it (a claims run shows 16 targets;
# bars carry no dash, so each target needs a colour of its own)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf",
           "#393b79", "#e7969c", "#637939", "#fdd0a2", "#843c39", "#9edae5", "#7b4173",
           "#c5b0d5", "#000000", "#bdbdbd")
DASHES = ("-", "--", "-.", ":")  # beyond twenty targets the colours repeat with another dash
DPI = 100
FULL_WIDTH_IN = 12.0  # ~1200 px: the page is readable at 1280 px wide
HALF_WIDTH_IN = 6.2
PERCENTILE_TICKS = (0, 50, 90, 99, 99.9, 99.99, 99.999)


class Styles:
    """A fixed target -> (colour, dash) map: the registry's order first (stable across runs that
    measured different subsets), then any other name (anyone's endpoint) sorted."""

    def __init__(self, known: Sequence[str], present: Iterable[str]):
        names = list(dict.fromkeys([*known, *sorted(set(present) - set(known))]))
        self.index = {name: i for i, name in enumerate(names)}

    def color(self, target: str) -> str:
        return PALETTE[self.index.get(target, 0) % len(PALETTE)]

    def dash(self, target: str) -> str:
        return DASHES[self.index.get(target, 0) // len(PALETTE) % len(DASHES)]


class Chart:
    """One figure of `rows` x `cols` panels and the record of what went on it."""

    def __init__(self, rows: int = 1, cols: int = 1, width: float = HALF_WIDTH_IN,
                 height: float = 3.6, **kw):
        import matplotlib.pyplot as plt

        self.fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False, **kw)
        self.axes = [ax for row in axes for ax in row]
        self.grid = axes
        self.meta: dict = {"lines": [], "markers": [], "bars": 0, "panels": rows * cols,
                           "marks": []}

    def line(self, ax, xs: Sequence, ys: Sequence, label: str | None, color: str,
             dash: str = "-", legend: bool = True, **kw) -> None:
        """A line through the points that have a value; one point is a marker, not a line.
        `label` names it in `meta` (and in the legend, unless `legend` is False)."""
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if not pts:
            return
        px, py = [p[0] for p in pts], [p[1] for p in pts]
        kw["label"] = label if legend else None
        if len(pts) >= 2:
            ax.plot(px, py, dash, color=color, **kw)
            self.meta["lines"].append({"label": label, "points": len(pts), "color": color})
        else:
            kw.pop("marker", None)
            ax.plot(px, py, marker="o", linestyle="none", color=color, **kw)
            self.meta["markers"].append({"label": label, "points": 1, "color": color})

    def range_bars(self, ax, names: Sequence[str], p50: Sequence, p99: Sequence,
                   colors: Sequence[str]) -> None:
        """One row per name: a solid bar to p50 and its light extension to p99, both values
        written at the end. Linear from 0, unless the p50s span more than 30x (then log)."""
        lows = [v for v in p50 if v]
        log = bool(lows) and max(lows) / min(lows) > 30
        for i, (a, b, c) in enumerate(zip(p50, p99, colors, strict=True)):
            if a is None:
                continue
            b = a if b is None else max(a, b)
            ax.barh(i, a, height=0.6, color=c, alpha=0.9)
            ax.barh(i, b - a, left=a, height=0.6, color=c, alpha=0.3)
            ax.annotate(f"{a:.3g} / {b:.3g}", (b, i), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
            self.meta["bars"] += 1
        if log:
            log_axis(ax, "x")
        ax.margins(x=0.22)
        self.target_axis(ax, names, colors)

    def bars(self, ax, names: Sequence[str], values: Sequence, colors: Sequence[str],
             fmt: str = "{:.3g}") -> None:
        """Horizontal bars from 0, one row per name, the value written at the bar's end."""
        for i, (v, c) in enumerate(zip(values, colors, strict=True)):
            if v is None:
                continue
            ax.barh(i, v, height=0.6, color=c, alpha=0.85)
            ax.annotate(fmt.format(v), (v, i), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
            self.meta["bars"] += 1
        ax.margins(x=0.18)
        self.target_axis(ax, names, colors)

    @staticmethod
    def target_axis(ax, names: Sequence[str], colors: Sequence[str]) -> None:
        ax.set_yticks(range(len(names)), names, fontsize=9)
        for tick, c in zip(ax.get_yticklabels(), colors, strict=True):
            tick.set_color(c)
        ax.set_ylim(max(len(names), 3) - 0.4, -0.6)  # first name on top; one bar stays a bar
        ax.grid(alpha=0.3, axis="x")

    def legend_right(self, ax=None) -> None:
        """The legend outside the axes, so it never covers data."""
        ax = ax or self.axes[-1]
        handles, labels = [], []
        for a in self.axes:
            for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        if handles:
            ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      borderaxespad=0, frameon=False)

    def png(self) -> str:
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        self.fig.tight_layout()
        self.fig.savefig(buf, format="png", dpi=DPI)
        plt.close(self.fig)
        return base64.b64encode(buf.getvalue()).decode()


def percentile_x(p: float, count: int | None) -> float:
    """HdrHistogram's x for percentile p: 1/(1-p). 100 % (the max) sits where one sample of
    `count` resolves, 1 - 1/count."""
    if p >= 100:
        return float(max(count or 1, 2))
    return 1 / (1 - p / 100)


def percentile_axis(ax, largest_x: float) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ticks = [p for p in PERCENTILE_TICKS if percentile_x(p, None) <= largest_x * 1.01]
    ax.xaxis.set_major_locator(FixedLocator([percentile_x(p, None) for p in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{p:g}%" for p in ticks])
    ax.set_xlim(1, max(largest_x, 10) * 1.05)


def log_axis(ax, axis: str = "y") -> None:
    """A log axis labelled in plain numbers (1, 2, 3, 5, 10 ...), never 2 x 10^0; within less
    than a factor 4 (where log ticks would leave one label or none) evenly spaced labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    narrow = lo > 0 and hi / lo < 4
    target.set_major_locator(MaxNLocator(5) if narrow else LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def log_or_linear(ax, values: Iterable[float], axis: str = "y") -> None:
    """Log scale when the values span more than a decade (tails, sizes), linear otherwise."""
    vs = [v for v in values if v is not None and v > 0]
    if vs and max(vs) / min(vs) > 10:
        log_axis(ax, axis)


def nice_ticks(ax, xs: Iterable[float], label=lambda v: f"{v:g}") -> None:
    """x ticks exactly at the values measured (users 1, 4, 16; sizes), log-spaced when they are."""
    from matplotlib.ticker import FixedLocator, NullLocator

    vs = sorted({v for v in xs if v is not None})
    if not vs:
        return
    if vs[0] > 0 and vs[-1] / vs[0] >= 4:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(vs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([label(v) for v in vs])


def median(values: Iterable) -> float | None:
    vs = sorted(v for v in values if isinstance(v, (int, float)) and not math.isnan(v))
    if not vs:
        return None
    mid = len(vs) // 2
    return vs[mid] if len(vs) % 2 else (vs[mid - 1] + vs[mid]) / 2
