"""`bench.py compare OLD.json NEW.json [--fail-on p95:10%,mbps:-5%]`: a regression gate.

Results are matched by (target, scenario, size, load). Each threshold names a metric and the
change that fails the gate: a positive percentage is the largest allowed *increase* (for
latencies, memory), a negative one the largest allowed *decrease* (for throughput). Reads
stored results only; never generates load.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.units import format_size
from upbench.reporting.labels import level_label

# name -> (block, key): what a threshold or a table column reads from a result
METRICS = {
    "p50": ("latency_ms", "p50"), "p90": ("latency_ms", "p90"), "p95": ("latency_ms", "p95"),
    "p99": ("latency_ms", "p99"), "p999": ("latency_ms", "p999"),
    "ttfb_p50": ("ttfb_ms", "p50"), "ttfb_p95": ("ttfb_ms", "p95"),
    "ttfb_p99": ("ttfb_ms", "p99"),
    "done_p50": ("completion_ms", "p50"), "done_p95": ("completion_ms", "p95"),
    "done_p99": ("completion_ms", "p99"),
    "rps": ("throughput", "rps"), "mbps": ("throughput", "mbps"),
    "rss": ("server", "rss_peak_mb"), "failures": (None, "failures"),
    "lost": ("integrity", "lost"),
}
TABLE = ("p50", "p95", "p99", "ttfb_p50", "done_p50", "mbps", "rss", "failures")


@dataclass(frozen=True)
class Threshold:
    metric: str
    percent: float  # +10 -> fail if it grows by more than 10 %; -5 -> if it drops by more than 5 %

    def crossed(self, old: float, new: float) -> bool:
        if old == 0:
            return self.percent >= 0 and new > 0  # from nothing to something (e.g. lost)
        change = (new - old) / abs(old) * 100
        return change > self.percent if self.percent >= 0 else change < self.percent


def parse_thresholds(spec: str) -> list[Threshold]:
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = item.partition(":")
        if name not in METRICS:
            raise ValueError(f"bad --fail-on {item!r}: unknown metric {name!r} "
                             f"(known: {', '.join(METRICS)})")
        try:
            percent = float(value.strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"bad --fail-on {item!r}: expected METRIC:PERCENT, e.g. p95:10%")
        out.append(Threshold(name, percent))
    return out


def key(r: dict) -> tuple:
    load = r["load"]
    return (r["target"], r["scenario"], r["size_bytes"], load["model"], load["users"],
            load["rate"])


def value(r: dict, metric: str) -> float | None:
    block, field = METRICS[metric]
    source = r if block is None else (r.get(block) or {})
    v = source.get(field)
    return float(v) if isinstance(v, (int, float)) else None


def compare(old: dict, new: dict, thresholds: list[Threshold]) -> tuple[list[str], list[str]]:
    """(table lines, threshold violations)."""
    before = {key(r): r for r in old["results"]}
    lines, crossed = [], []
    header = f"{'target':<15} {'scenario':<9} {'size':>7} {'load':>8}  " + "  ".join(
        f"{m:>17}" for m in TABLE)
    lines.append(header)
    for r in new["results"]:
        k = key(r)
        label = (f"{r['target']:<15} {r['scenario']:<9} {format_size(r['size_bytes']):>7} "
                 f"{level_label(r['load'], short=True):>8}")
        if k not in before:
            lines.append(f"{label}  (new: not in OLD)")
            continue
        o = before[k]
        cells = []
        for m in TABLE:
            a, b = value(o, m), value(r, m)
            cells.append(f"{_fmt(a)}→{_fmt(b)} {_pct(a, b):>6}" if a is not None and
                         b is not None else f"{'-':>17}")
        lines.append(f"{label}  " + "  ".join(f"{c:>17}" for c in cells))
        for t in thresholds:
            a, b = value(o, t.metric), value(r, t.metric)
            if a is not None and b is not None and t.crossed(a, b):
                where = (f"{label.split()[0]} {r['scenario']} {format_size(r['size_bytes'])} "
                         f"{level_label(r['load'], short=True)}")
                crossed.append(f"{where}: {t.metric} {_fmt(a)} -> {_fmt(b)} ({_pct(a, b)}, "
                               f"limit {t.percent:+g}%)")
    gone = [k for k in before if k not in {key(r) for r in new["results"]}]
    for k in gone:
        lines.append(f"{k[0]:<15} {k[1]:<9} {format_size(k[2]):>7}  (missing from NEW)")
    return lines, crossed


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _pct(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return ""
    if a == 0:
        return "±0%" if b == 0 else "new"
    return f"{(b - a) / abs(a) * 100:+.0f}%"
