"""`bench.py compare OLD.json NEW.json [--fail-on p95:10%,mbps:-5%]`: a regression gate that
knows the noise of the machine.

Matching: results are matched by (target, scenario, size, load, work); `work` is the result's
own or, for results that predate it, the run's `--work`. Results of OLD or NEW that share a key
(several `repetition`s, or the same level in two experiments) are repeated measurements of it.
A level of NEW with no partner of the same work is matched to the one of OLD that differs only
in the work, when each side ran that level with a single work — so a run with `--work sleep:50`
can be held against a sha256 run of the same plan; the line says so.

Statistics, per figure: where both sides hold >= 2 repetitions, the change is the ratio of
geometric means (new/old - 1) with a 95 % Welch t interval on the log values — one value per
repetition, so the interval is the run-to-run noise of this machine. Counts that can be 0
(failures, lost) use the difference of means and a Welch interval on the raw values. A figure
is *beyond noise* when its interval excludes zero change, and *changed* when it is beyond noise
and its estimate also crosses its --fail-on limit. Where either side has a single run there is
no noise estimate: the comparison is *single-run*, and a limit crossed is reported as such.

Exit status (the caller's): 1 when a figure changed; in a comparison without any repeated
level (two plain sweeps), also when a single-run figure crossed its limit — the old gate's
rule, the only one there is then. Where the runs do carry repetitions (claims runs), their
single-run levels (the survey) are reported, not gated: a gate that fails on one measurement a
side flaps on a shared machine.
Reads stored results only; never generates load.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
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
CAPACITY = "capacity"  # --fail-on capacity:-10%: the `capacity` records of a capacity run
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Threshold:
    metric: str
    percent: float  # +10 -> fail if it grows by more than 10 %; -5 -> if it drops by more than 5 %

    def crossed(self, old: float, new: float) -> bool:
        if old == 0:
            return self.percent >= 0 and new > 0  # from nothing to something (e.g. lost)
        change = (new - old) / abs(old) * 100
        return change > self.percent if self.percent >= 0 else change < self.percent


@dataclass(frozen=True)
class Change:
    """One figure of one level, OLD against NEW, with the noise where repetitions tell it."""
    old: tuple[float, ...]
    new: tuple[float, ...]
    relative: bool                 # True: ratio of geometric means; False: difference of means
    estimate: float                # new/old - 1 (relative) or mean(new) - mean(old)
    interval: tuple[float, float] | None  # same unit as estimate; None: single-run

    @property
    def single_run(self) -> bool:
        return self.interval is None

    @property
    def beyond_noise(self) -> bool:
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)

    @property
    def old_value(self) -> float:
        return _centre(self.old, self.relative)

    @property
    def new_value(self) -> float:
        return _centre(self.new, self.relative)

    def crosses(self, t: Threshold) -> bool:
        return t.crossed(self.old_value, self.new_value)

    def changed(self, t: Threshold) -> bool:
        return self.beyond_noise and self.crosses(t)

    def describe(self) -> str:
        """"10.2 -> 12.3, +21% [+8%, +35%] (3 vs 3 runs)" or "... (single-run)"."""
        head = f"{_fmt(self.old_value)} -> {_fmt(self.new_value)}, {self.estimate_text()}"
        if self.single_run:
            return f"{head} (single-run: one measurement a side, noise unknown)"
        lo, hi = self.interval
        width = (f"[{lo * 100:+.0f}%, {hi * 100:+.0f}%]" if self.relative
                 else f"[{lo:+.3g}, {hi:+.3g}]")
        return (f"{head} {width} ({len(self.old)} vs {len(self.new)} repetitions, "
                f"{'beyond' if self.beyond_noise else 'within'} noise)")

    def estimate_text(self) -> str:
        if self.relative:
            return f"{self.estimate * 100:+.0f}%"
        old = self.old_value
        return f"{self.estimate / abs(old) * 100:+.0f}%" if old else (
            "±0" if self.estimate == 0 else f"{self.estimate:+.3g}")


def change(old: list[float], new: list[float]) -> Change | None:
    """The change of one figure from its values in OLD to those in NEW (one per repetition)."""
    if not old or not new:
        return None
    relative = all(v > 0 for v in (*old, *new))
    if len(old) < 2 or len(new) < 2:
        a, b = _centre(old, relative), _centre(new, relative)
        estimate = (b / a - 1) if relative else b - a
        return Change(tuple(old), tuple(new), relative, estimate, None)
    if relative:
        d, lo, hi = welch_interval([math.log(v) for v in old], [math.log(v) for v in new])
        return Change(tuple(old), tuple(new), True, math.expm1(d),
                      (math.expm1(lo), math.expm1(hi)))
    d, lo, hi = welch_interval(old, new)
    return Change(tuple(old), tuple(new), False, d, (lo, hi))


def welch_interval(xs: list[float], ys: list[float],
                   confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean(ys) - mean(xs), lo, hi): Welch's t interval, no equal-variance assumption."""
    from scipy import stats

    d = statistics.fmean(ys) - statistics.fmean(xs)
    a, b = statistics.variance(xs) / len(xs), statistics.variance(ys) / len(ys)
    se = math.sqrt(a + b)
    if se == 0:
        return d, d, d
    df = (a + b) ** 2 / (a * a / (len(xs) - 1) + b * b / (len(ys) - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2, df))
    return d, d - t * se, d + t * se


def parse_thresholds(spec: str) -> list[Threshold]:
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = item.partition(":")
        if name not in METRICS and name != CAPACITY:
            raise ValueError(f"bad --fail-on {item!r}: unknown metric {name!r} "
                             f"(known: {', '.join([*METRICS, CAPACITY])})")
        try:
            percent = float(value.strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"bad --fail-on {item!r}: expected METRIC:PERCENT, e.g. p95:10%")
        out.append(Threshold(name, percent))
    return out


def work_of(doc: dict, r: dict) -> str | None:
    return r.get("work") or (doc.get("config") or {}).get("work")


def key(r: dict, work: str | None = None) -> tuple:
    load = r["load"]
    return (r["target"], r["scenario"], r["size_bytes"], load["model"], load["users"],
            load["rate"], work if work is not None else r.get("work"))


def value(r: dict, metric: str) -> float | None:
    block, field = METRICS[metric]
    source = r if block is None else (r.get(block) or {})
    v = source.get(field)
    return float(v) if isinstance(v, (int, float)) else None


def repetitions(doc: dict) -> dict[tuple, list[dict]]:
    """key -> every result of that key (its repetitions), in the document's order."""
    out: dict[tuple, list[dict]] = defaultdict(list)
    for r in doc["results"]:
        out[key(r, work_of(doc, r))].append(r)
    return dict(out)


def match(old: dict, new: dict) -> tuple[list[tuple[tuple, tuple | None]], list[tuple]]:
    """([(NEW key, OLD key or None)], OLD keys left over). Exact keys first; then a level that
    differs only in the work, where each side ran it with a single work."""
    before, after = repetitions(old), repetitions(new)
    unmatched_old = [k for k in before if k not in after]
    pairs = []
    for k in after:
        if k in before:
            pairs.append((k, k))
            continue
        same_level = [o for o in unmatched_old if o[:6] == k[:6]]
        others_new = [n for n in after if n[:6] == k[:6]]
        partner = same_level[0] if len(same_level) == 1 and len(others_new) == 1 else None
        if partner is not None:
            unmatched_old.remove(partner)
        pairs.append((k, partner))
    return pairs, unmatched_old


def compare(old: dict, new: dict, thresholds: list[Threshold]) -> tuple[list[str], list[str]]:
    """(lines to print, limits that fail the gate). A table of every matched level, the
    figures beyond noise, the limits crossed within noise (which do not fail), and the
    verdicts that changed."""
    before, after = repetitions(old), repetitions(new)
    cap_lines, cap_failing = capacity_changes(old, new, [t for t in thresholds
                                                         if t.metric == CAPACITY])
    if not before and not after:  # two capacity runs: nothing else to match
        return cap_lines, cap_failing
    pairs, gone = match(old, new)
    lines = [_method(before, after),
             f"{'target':<15} {'scenario':<9} {'size':>7} {'load':>6} {'reps':>5} "
             + " ".join(f"{m:>16}" for m in TABLE)]
    beyond, within, failing, single = [], [], [], []
    for k_new, k_old in pairs:
        rs = after[k_new]
        label = _label(rs[0])
        if k_old is None:
            lines.append(f"{label}  (new: not in OLD)")
            continue
        os_ = before[k_old]
        changes = {m: change(_values(os_, m), _values(rs, m)) for m in METRICS}
        where = _where(rs[0], k_old, k_new)
        lines.append(f"{label} {len(os_):>2}/{len(rs):<2} "
                     + " ".join(f"{_cell(changes[m]):>16}" for m in TABLE) + _work(k_old, k_new))
        beyond += [f"{where}: {m} {changes[m].describe()}" for m in TABLE
                   if changes[m] is not None and changes[m].beyond_noise]
        for t in thresholds:
            c = changes.get(t.metric)
            if c is None or not c.crosses(t):
                continue
            line = f"{where}: {t.metric} {c.describe()}, limit {t.percent:+g}%"
            if c.single_run:
                single.append(f"{line} [single-run]")
            elif c.changed(t):
                failing.append(f"{line} [changed]")
            else:
                within.append(line)
    for k in gone:
        load = level_label({"model": k[3], "users": k[4], "rate": k[5]}, short=True)
        lines.append(f"{k[0]:<15} {k[1]:<9} {format_size(k[2]):>7} {load:>6}  (missing from NEW)")
    lines.append("")
    repeated = any(len(before[o]) > 1 and len(after[n]) > 1 for n, o in pairs if o)
    if not repeated:
        failing += single
    lines.append("Beyond noise (the interval excludes no change):" if beyond else
                 "No figure moved beyond noise." if repeated else
                 "Single-run comparison: no level repeated on both sides, so no noise estimate.")
    lines += [f"  {b}" for b in beyond]
    lines += [f"limit crossed but within noise (not a failure): {w}" for w in within]
    if repeated:
        lines += [f"limit crossed by a level run once a side (not gated: other levels carry "
                  f"repetitions): {line}" for line in single]
    lines += verdict_changes(old, new)
    return lines + cap_lines, failing + cap_failing


def capacity_changes(old: dict, new: dict, thresholds: list[Threshold]) -> tuple[list[str],
                                                                               list[str]]:
    """Capacities matched by (target, size, work, SLOs). The noise is the search's own: a
    change is beyond noise when the two intervals do not overlap (NEW's high end under OLD's
    low end: a drop; NEW's low end over OLD's high end: a rise). A `capacity:-10%` limit fails
    the gate when the capacity dropped beyond noise by more than 10 %. A "≥ R" capacity (load
    generator or --max-rate bound) has no high end: only a NEW interval wholly under R is a
    drop beyond noise. A search that was not decided (a cap ended it) has a bracket, not an
    interval: it is reported, never gated."""
    def ident(c: dict) -> tuple:
        return (c["target"], c.get("size_bytes"), c.get("work"), tuple(c.get("slo") or ()))

    before = {ident(c): c for c in old.get("capacity") or []}
    after = {ident(c): c for c in new.get("capacity") or []}
    if not before and not after:
        return [], []
    lines, failing = ["Capacity (uploads/s, 95 % interval):"], []
    for k, c in after.items():
        o = before.get(k)
        if o is None:
            lines.append(f"  {c['target']}: only in NEW ({_interval(c)})")
            continue
        (o_lo, o_hi), (n_lo, n_hi) = o["interval"], c["interval"]
        drop = n_hi is not None and n_hi < o_lo
        rise = o_hi is not None and n_lo > o_hi
        ch = (c["rate"] / o["rate"] - 1) if o["rate"] else None
        undecided = [x["target"] for x in (o, c) if not x.get("decided", True)
                     and x["bound"] == "slo"]
        text = (f"{c['target']}: {_interval(o)} -> {_interval(c)}"
                + (f", {ch * 100:+.0f}%" if ch is not None else "")
                + (" (a search was not decided: its bracket is no interval, not gated)"
                   if undecided else " (beyond noise: the intervals do not overlap)"
                   if drop or rise else " (within noise: the intervals overlap)"))
        lines.append(f"  {text}")
        for t in thresholds:
            if ch is not None and (drop or rise) and not undecided \
                    and t.crossed(o["rate"], c["rate"]):
                failing.append(f"{text}, limit {t.percent:+g}% [changed]")
    lines += [f"  {c['target']}: only in OLD ({_interval(c)})" for k, c in before.items()
              if k not in after]
    return lines, failing


def _interval(c: dict) -> str:
    lo, hi = c["interval"]
    if hi is None:
        return f">= {_fmt(lo)} ({c['bound']} bound)"
    return f"{_fmt(c['rate'])} [{_fmt(lo)}, {_fmt(hi)}]"


def verdict_changes(old: dict, new: dict) -> list[str]:
    """The verdicts that differ between the runs, matched by id (else by the claim's text)."""
    def ident(v):
        return v.get("id") or v.get("claim")

    def state(v):
        return v.get("verdict") or {True: "holds", False: "does not hold"}.get(
            v.get("holds"), "not measured")

    before = {ident(v): v for v in old.get("verdicts") or []}
    after = {ident(v): v for v in new.get("verdicts") or []}
    out = []
    for k, v in after.items():
        if k not in before:
            out.append(f"VERDICT  {k}: only in NEW ({state(v)})")
        elif state(before[k]) != state(v):
            out.append(f"VERDICT  {k}: {state(before[k])} -> {state(v)}")
    out += [f"VERDICT  {k}: only in OLD ({state(v)})" for k, v in before.items() if k not in after]
    header = (f"Verdicts: {len(out)} changed" if out else
              f"Verdicts: none changed ({len(after)} compared)" if after else "Verdicts: none")
    return [header, *out]


# --- text ---------------------------------------------------------------------------------

def _method(before: dict, after: dict) -> str:
    def reps(groups):
        counts = sorted({len(v) for v in groups.values()})
        return "-".join(map(str, (counts[0], counts[-1]) if len(counts) > 1 else counts)) or "0"
    return (f"OLD: {reps(before)} repetition(s) per level, NEW: {reps(after)}. Repeated on both "
            f"sides: ratio of geometric means, {CONFIDENCE:.0%} Welch t interval on log values; "
            "~ within noise, * beyond noise, no mark: single-run.")


def _label(r: dict) -> str:
    return (f"{r['target']:<15} {r['scenario']:<9} {format_size(r['size_bytes']):>7} "
            f"{level_label(r['load'], short=True):>6}")


def _work(k_old: tuple | None, k_new: tuple) -> str:
    return f"  [work {k_old[6]} -> {k_new[6]}]" if k_old and k_old[6] != k_new[6] else ""


def _where(r: dict, k_old: tuple | None, k_new: tuple) -> str:
    return (f"{r['target']} {r['scenario']} {format_size(r['size_bytes'])} "
            f"{level_label(r['load'], short=True)}{_work(k_old, k_new).replace('  [', ' [')}")


def _values(rs: list[dict], metric: str) -> list[float]:
    return [v for v in (value(r, metric) for r in rs) if v is not None]


def _cell(c: Change | None) -> str:
    if c is None:
        return "-"
    mark = "" if c.single_run else ("*" if c.beyond_noise else "~")
    return f"{_fmt(c.old_value)}→{_fmt(c.new_value)} {c.estimate_text()}{mark}"


def _centre(values, relative: bool) -> float:
    """The geometric mean where the change is a ratio, the mean where it is a difference."""
    if relative:
        return math.exp(statistics.fmean(math.log(v) for v in values))
    return statistics.fmean(values)


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
