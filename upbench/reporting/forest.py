"""One forest plot of every judged claim: its effect and interval (at its last look's level) against its own
threshold. Claims have different metrics, so each row is drawn relative to its threshold
(effect / threshold, log axis): the threshold is the line at 1, and the side where the claim
holds is shaded per row. Drawn from results.json's verdicts alone."""

from __future__ import annotations

from upbench.reporting.charts import Chart

COLOURS = {"holds": "#16702e", "does not hold": "#b3261e", "inconclusive": "#b07d00",
           "not measured": "#888888"}
FLOOR, CEILING = 0.01, 100.0


def figure(verdicts: list[dict]) -> dict | None:
    """{"png", "rows"} or None when no claim has an estimate."""
    rows = [v for v in verdicts if (v.get("effect") or {}).get("estimate") is not None]
    if not rows:
        return None
    chart = Chart(width=9, height=0.42 * len(rows) + 1.1)
    ax = chart.axes[0]
    for y, v in enumerate(reversed(rows)):
        effect = v["effect"]
        t = effect["threshold"]
        est = _rel(effect["estimate"], t)
        lo, hi = (_rel(x, t) for x in (effect["interval"] or [effect["estimate"]] * 2))
        side = (FLOOR, 1) if effect["holds_if"] == "below" else (1, CEILING)
        ax.fill_betweenx([y - 0.4, y + 0.4], *side, color="#16702e", alpha=0.07, lw=0)
        colour = COLOURS[v["verdict"]]
        ax.plot([lo, hi], [y, y], color=colour, lw=2.5)
        ax.plot([est], [y], "o", color=colour)
    ax.axvline(1, color="#333", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(FLOOR, CEILING)
    ax.set_yticks(range(len(rows)), [v["id"] for v in reversed(rows)], fontsize=9)
    ax.set_xlabel("effect / threshold (log) — 1 is the threshold; green band: where the claim "
                  "holds", fontsize=9)
    ax.grid(alpha=0.3, axis="x")
    return {"png": chart.png(), "rows": len(rows)}


def _rel(value: float, threshold: float) -> float:
    if not threshold:
        return 1.0
    return min(max(value / threshold, FLOOR), CEILING)
