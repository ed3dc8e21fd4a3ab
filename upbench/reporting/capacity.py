"""The capacity search in words, a ranked table and one figure, from results.json alone.

The figure puts the targets side by side, one colour each: latency p50 (dashed) and p99
against the offered rate, completion p99 against it, and achieved against offered throughput
(the diagonal = everything offered was done). Each target's knee is a vertical line at its
capacity with its interval shaded; the SLOs are horizontal lines.
"""

from __future__ import annotations

from collections import defaultdict

from loadtests.units import format_size
from upbench.reporting.charts import FULL_WIDTH_IN, Chart, Styles, log_axis, median

BOUND_TEXT = {"generator": "load generator bound", "max-rate": "--max-rate reached"}


def headline(record: dict) -> str:
    """"flask-sync: 42 uploads/s, 95 % interval 38–45 (p99<500ms)" and its variants."""
    lo, hi = record["interval"]
    slo = ", ".join(record.get("slo") or [])
    if record["bound"] in BOUND_TEXT:
        return (f"{record['target']}: ≥ {_rate(lo)} uploads/s ({BOUND_TEXT[record['bound']]}; "
                f"{slo}) — {record['why']}")
    if not record.get("decided"):
        return (f"{record['target']}: ~{_rate(record['rate'])} uploads/s (between {_rate(lo)} "
                f"and {_rate(hi) if hi else '?'}; {slo}) — {record['why']}")
    if not lo:
        return f"{record['target']}: < {_rate(hi)} uploads/s ({slo}) — {record['why']}"
    return (f"{record['target']}: {_rate(record['rate'])} uploads/s, 95 % interval "
            f"{_rate(lo)}–{_rate(hi)} ({slo}) — {record['why']}")


def level_line(level: dict) -> str:
    """The progress line after one level of the search."""
    lat = level.get("latency_ms") or {}
    done = level.get("completion_ms") or {}
    moved = level.get("backlog") or {}
    state = ("load generator: " + level["generator"] if level.get("generator")
             else "sustained" if level["sustained"] else f"over: {level['why']}")
    return (f"{state} · achieved {level.get('achieved_rps') or 0:.1f}/s · p50 "
            f"{_ms(lat.get('p50'))} p99 {_ms(lat.get('p99'))} · completion p99 "
            f"{_ms(done.get('p99'))} · backlog {moved.get('growth', 0):+d} "
            f"(wait slope {moved.get('slope', 0):+.2f} s/s) · "
            f"failures {level.get('failures', 0)}/{level.get('requests', 0)} · "
            f"margin {level['margin']:.2f}")


def ranked(doc: dict) -> list[dict]:
    """Capacity records, highest rate first (bounded ones by what they reached)."""
    return sorted(doc.get("capacity") or [], key=lambda c: -(c["interval"][0] if
                                                              c["bound"] in BOUND_TEXT
                                                              else c["rate"]))


def rows(doc: dict) -> list[dict]:
    """The ranked table: one row per target, in words and numbers."""
    out = []
    for i, c in enumerate(ranked(doc), 1):
        lo, hi = c["interval"]
        at = c.get("at") or {}
        if c["bound"] in BOUND_TEXT:
            capacity, interval = f"≥ {_rate(lo)}", BOUND_TEXT[c["bound"]]
        else:
            capacity = _rate(c["rate"]) if c.get("decided") else f"~{_rate(c['rate'])}"
            interval = f"{_rate(lo)}–{_rate(hi) if hi else '?'}" + (
                "" if c.get("decided") else " (not decided)")
        out.append({"rank": i, "target": c["target"], "capacity": capacity,
                    "interval": interval, "p99": _ms(at.get("latency_p99_ms")),
                    "completion_p99": _ms(at.get("completion_p99_ms")),
                    "rss": _num(at.get("rss_peak_mb"), " MB"),
                    "cpu": _num(at.get("cpu_mean_pct"), " %"),
                    "risk": (c.get("risk") or {}).get("text") or "-", "why": c["why"],
                    "levels": len(c["levels"])})
    return out


def table_lines(doc: dict) -> list[str]:
    """The terminal's table, after the search."""
    plan = doc.get("capacity_plan") or {}
    lines = [f"Capacity at {format_size(plan.get('size_bytes') or 0)} uploads, "
             f"work {doc['config'].get('work')}, SLO {', '.join(plan.get('slo') or [])} "
             "(uploads/s; p99, RSS and CPU at the interval's low end):",
             f"{'#':>2} {'target':<15} {'capacity':>9} {'interval':<24} {'p99':>9} "
             f"{'done p99':>9} {'RSS':>8} {'CPU':>6}  integrity risk"]
    for r in rows(doc):
        lines.append(f"{r['rank']:>2} {r['target']:<15} {r['capacity']:>9} {r['interval']:<24} "
                     f"{r['p99']:>9} {r['completion_p99']:>9} {r['rss']:>8} {r['cpu']:>6}  "
                     f"{r['risk']}")
    lines += [f"   {c['target']}: {c['why']}" for c in ranked(doc)]
    return lines


def summary(doc: dict) -> list[str]:
    return [headline(c) for c in ranked(doc)]


def figure(doc: dict, known_targets: list[str]) -> dict | None:
    """{title, caption, png, meta} of the side-by-side curves, or None without a search."""
    records = doc.get("capacity") or []
    if not any(c["levels"] for c in records):
        return None
    styles = Styles(known_targets, (c["target"] for c in records))
    panels = (("latency_ms", "latency p50 (dashed), p99 (ms)"),
              ("completion_ms", "completion p99 (ms)"),
              ("achieved_rps", "achieved uploads/s"))
    chart = Chart(1, 3, width=FULL_WIDTH_IN, height=3.8)
    rates = [lv["rate"] for c in records for lv in c["levels"]]
    for c in records:
        color, dash = styles.color(c["target"]), styles.dash(c["target"])
        points = _medians(c["levels"])
        xs = sorted(points)
        label = f"{c['target']}: {_short(c)}"
        for ax, (block, _) in zip(chart.axes, panels, strict=True):
            ys = ([points[x]["achieved_rps"] for x in xs] if block == "achieved_rps"
                  else [points[x][block]["p99"] for x in xs])
            chart.line(ax, xs, ys, label, color, dash, marker="o", markersize=3)
            if block == "latency_ms":
                chart.line(ax, xs, [points[x][block]["p50"] for x in xs], None, color, "--",
                           legend=False, linewidth=1, alpha=0.7)
            _knee(ax, c, color)
        chart.meta["marks"].append({"target": c["target"], "rate": c["rate"],
                                    "interval": c["interval"], "bound": c["bound"]})
    _decorate(chart, panels, records, min(rates), max(rates))
    plan = doc.get("capacity_plan") or {}
    caption = (f"Open-loop levels of {format_size(plan.get('size_bytes') or 0)} uploads (work "
               f"{doc['config'].get('work')}), {doc['config'].get('duration'):g} s each; each "
               "point the median over a rate's repetitions. Latency and completion are "
               "measured from the intended start. Vertical line: the capacity; shaded: its "
               "95 % interval (a rate sustained in every repetition, a rate over in every "
               "one); dotted: the SLOs; grey diagonal: achieved = offered.")
    return {"title": "Capacity: latency and throughput against the offered rate",
            "caption": caption, "png": chart.png(), "meta": chart.meta}


def _short(record: dict) -> str:
    """The legend's capacity: "25 [21–32]/s", "≥ 50/s", "~18 [16–?]/s"."""
    lo, hi = record["interval"]
    if record["bound"] in BOUND_TEXT:
        return f"≥ {_rate(lo)}/s"
    head = _rate(record["rate"]) if record.get("decided") else f"~{_rate(record['rate'])}"
    return f"{head} [{_rate(lo)}–{_rate(hi)}]/s"


def _medians(levels: list[dict]) -> dict[float, dict]:
    by_rate = defaultdict(list)
    for lv in levels:
        if not lv.get("generator"):
            by_rate[lv["rate"]].append(lv)
    out = {}
    for rate, lvs in by_rate.items():
        out[rate] = {"achieved_rps": median(lv.get("achieved_rps") for lv in lvs)}
        for block in ("latency_ms", "completion_ms"):
            out[rate][block] = {p: median((lv.get(block) or {}).get(p) for lv in lvs)
                                for p in ("p50", "p99")}
    return out


def _knee(ax, record: dict, color: str) -> None:
    lo, hi = record["interval"]
    if record["bound"] in BOUND_TEXT:
        if lo:
            ax.axvline(lo, color=color, linestyle=":", linewidth=1)
        return
    if lo and hi:
        ax.axvspan(lo, hi, color=color, alpha=0.12, linewidth=0)
    if record["rate"]:
        ax.axvline(record["rate"], color=color, linewidth=1.2)


def _decorate(chart: Chart, panels, records: list[dict], lo: float, hi: float) -> None:
    slos = {s for c in records for s in c.get("slo") or []}
    for ax, (block, label) in zip(chart.axes, panels, strict=True):
        ax.set_xscale("log")
        ax.set_xlim(lo / 1.3, hi * 1.3)
        log_axis(ax, "x")
        ax.set(xlabel="offered uploads/s", ylabel=label)
        ax.grid(alpha=0.3, which="both")
        if block == "achieved_rps":
            ax.plot([lo, hi], [lo, hi], color="#999999", linewidth=1, zorder=0)
            ax.set_yscale("log")
            log_axis(ax, "y")
            continue
        log_axis(ax, "y")
        for text in sorted(slos):
            metric = "completion_ms" if text.startswith("completion") else "latency_ms"
            if metric == block and "<" in text and not text.startswith("ttfb"):
                ax.axhline(_slo_ms(text), color="#555555", linestyle=":", linewidth=1)
    chart.legend_right()


def _slo_ms(text: str) -> float:
    limit = text.split("<", 1)[1]
    return float(limit[:-2]) if limit.endswith("ms") else float(limit[:-1]) * 1000


def _rate(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"


def _num(v: float | None, unit: str) -> str:
    return "-" if v is None else f"{v:.0f}{unit}"
