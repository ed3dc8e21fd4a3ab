"""The report's browser section, from the `browser` blocks of stored results alone: per
pattern, INP / the wait for the result / LCP with their intervals across repetitions, the
upload request's DevTools-style timing bars, and a cross-check of the browser's TTFB against
upbench's own for the same pattern and size.

Cross-check: DevTools' "Waiting (TTFB)" (request sent → first response byte) is upbench's
`waiting` (sent → ttfb). Per repetition, the browser's fetch() p50 over Locust's p50; the two
disagree "by more than noise" when the 95 % interval of that ratio lies wholly outside
0.8–1.25. The browser is one client more than the Locust users, so on a server with as many
workers as users its upload can wait for a worker: there a disagreement is queueing, not
clocks.
"""

from __future__ import annotations

import statistics

from upbench.claims import stats
from upbench.measure.browser import PHASE_NAMES, PHASES
from upbench.records import Result

AGREE = (0.8, 1.25)  # browser / upbench waiting: within this band is "the same"


def patterns(doc: dict) -> list[dict]:
    """One row per target with browser figures, in the order they were first measured."""
    by_target: dict[str, list[Result]] = {}
    for r in doc.get("results", []):
        if r.get("browser"):
            by_target.setdefault(r["target"], []).append(r)
    rows = [_pattern(target, levels) for target, levels in by_target.items()]
    _scale([bars for row in rows for bars in row["bars"].values() if bars])
    return rows


def _pattern(target: str, levels: list[Result]) -> dict:
    def figure(metric: str) -> dict:
        values = [b[metric]["p50"] for b in (r["browser"] for r in levels) if b.get(metric)]
        found = stats.interval("value", values) if len(values) >= 2 else None
        return {"mean": round(statistics.fmean(values), 1) if values else None,
                "interval": [round(float(found[1]), 1), round(float(found[2]), 1)] if found else None,
                "n": len(values)}

    return {"target": target, "levels": len(levels),
            "inp": figure("inp_ms"), "shown": figure("shown_ms"), "lcp": figure("lcp_ms"),
            "bars": {kind: _bars(levels, kind) for kind in ("fetch", "form")},
            "crosscheck": _crosscheck(levels), "upbench": _upbench(levels),
            "failed": sum(r["browser"].get("failed", 0) for r in levels)}


def _bars(levels: list[Result], kind: str) -> list[dict] | None:
    """The median of each phase over the repetitions, in the Network panel's order."""
    timed = [r["browser"]["network"][kind] for r in levels
             if (r["browser"].get("network") or {}).get(kind)]
    if not timed:
        return None
    return [{"phase": p, "name": PHASE_NAMES[p],
             "ms": round(statistics.median(t.get(p, 0.0) for t in timed), 1)} for p in PHASES]


def _scale(all_bars: list[list[dict]]) -> None:
    """Where each phase starts and how wide it is, in % of the longest request: one time axis
    for every bar, like the Network panel's waterfall."""
    longest = max((sum(b["ms"] for b in bars) for bars in all_bars), default=0.0) or 1.0
    for bars in all_bars:
        offset = 0.0
        for b in bars:
            b["left"], b["width"] = round(100 * offset / longest, 2), round(100 * b["ms"] / longest, 2)
            offset += b["ms"]


def _upbench(levels: list[Result]) -> dict:
    """upbench's own phases of the same uploads (Locust's, in the same levels): medians of the
    levels' p50s, in ms."""
    def median(block: str) -> float | None:
        values = [(r.get(block) or {}).get("p50") for r in levels]
        values = [v for v in values if isinstance(v, (int, float))]
        return round(statistics.median(values), 1) if values else None
    return {"sending": median("sending_ms"), "waiting": median("waiting_ms"),
            "ttfb": median("ttfb_ms"), "latency": median("latency_ms")}


def _crosscheck(levels: list[Result]) -> dict | None:
    pairs = [(r["browser"]["network"]["fetch"]["waiting"], (r.get("waiting_ms") or {}).get("p50"))
             for r in levels if (r["browser"].get("network") or {}).get("fetch")]
    pairs = [(b, u) for b, u in pairs if b and u]
    if not pairs:
        return None
    browser = statistics.median(b for b, _ in pairs)
    upbench = statistics.median(u for _, u in pairs)
    found = stats.interval("ratio", [b / u for b, u in pairs])
    check = {"browser_ms": round(browser, 1), "upbench_ms": round(upbench, 1),
             "ratio": round(browser / upbench, 2), "interval": None, "disagree": None}
    if found:
        _, lo, hi = found
        check["interval"] = [round(float(lo), 2), round(float(hi), 2)]
        check["disagree"] = lo > AGREE[1] or hi < AGREE[0]
    return check
