"""When is an open-loop level *sustained*? The rule `bench.py capacity` judges every level by,
against its service-level objectives (`--slo 'p99<1s'`, `--slo 'completion p99<30s'`:
upbench.config.Slo).

A level at arrival rate R is sustained when all of these hold:
- failures <= 1 % of the uploads started in the measured window;
- every latency SLO is met (latency, TTFB and completion are measured from the *intended*
  start, so a stalled server shows in them);
- the backlog does not grow across the level: backlog(t) = uploads started − uploads done
  (done = completed: the poll of a 202 saw it processed; for a 201 the answer itself). It
  counts requests in flight and, for a 202 pattern, work accepted but not done, so a queue
  that grows is over capacity however fast it acknowledges. "Grows" = by more than 5 % of
  what completes, read from the slope of each upload's time to done against its start
  (see `backlog`).
Each check has a *margin*, observed / allowed (<= 1: met); a level's margin is the largest.
The capacity search judges a rate by the mean log margin over its repetitions.

Apart from that, a level whose load generator could not keep its timetable (its CPU
saturated, starts dropped, the 95th percentile of start delays above 50 ms, or fewer than 90 %
of the timetable's starts made in the window) measured the
generator, not the server: it is marked `generator` and never counted as a capacity.
"""

from __future__ import annotations

import math
import statistics

from upbench.config import Slo

MAX_FAILURE_SHARE = 0.01     # failures allowed in a sustained level
BACKLOG_SHARE = 0.05         # growth allowed: 5 % of what completes (wait slope, s per s)
GENERATOR_LAG_MS = 50.0      # p95 start delay beyond which the timetable was not kept
TIMETABLE_SHARE = 0.9        # ... or fewer starts in the window than this share of rate x window
MARGIN_FLOOR = 0.01          # a check with nothing observed (0 failures) still has a log


def backlog(samples: list[dict], duration: float, warmup: float) -> dict | None:
    """Is the backlog (started − done) growing across the level? Measured by how the time to
    done (completion − intended start) grows with the start: a queue growing at λ − μ per
    second makes each later upload wait (λ − μ)/μ s longer per second, so the least-squares
    `slope` (s per s) is the backlog's growth as a share of what completes. A slope from
    every upload is steadier than counting the backlog at two instants (a few uploads at low
    rates). `ack_slope` is the same for the answers alone: where it stays flat while `slope`
    grows, the acknowledgements keep up and the work behind them does not. Also {start,
    end}: the backlog counted at the window's ends, for the reader."""
    uploads = [s for s in samples if s["kind"] != "bystander" and s["start"] is not None]
    if not uploads:
        return None
    t0 = min(s["start"] for s in uploads)
    lo, hi = t0 + warmup, t0 + duration
    window = [s for s in uploads if s["error"] is None and lo <= s["start"] <= hi]
    slope = _slope([(s["start"] - t0, s["done"] - s["start"]) for s in window
                    if s["done"] is not None])
    acks = _slope([(s["start"] - t0, s["end"] - s["start"]) for s in window
                   if s["end"] is not None])

    def left_at(s: dict) -> float | None:
        return s["done"] if s["error"] is None else s["end"]

    def at(t: float) -> int:
        started = sum(1 for s in uploads if s["start"] <= t)
        left = sum(1 for s in uploads if (x := left_at(s)) is not None and x <= t)
        return started - left

    return {"slope": round(slope, 4), "ack_slope": round(acks, 4), "start": at(lo),
            "end": at(hi), "growth": at(hi) - at(lo),
            "arrivals": sum(1 for s in uploads if lo < s["start"] <= hi)}


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (start, wait); 0 without enough distinct points."""
    if len(points) < 3 or len({x for x, _ in points}) < 2:
        return 0.0
    return statistics.linear_regression([x for x, _ in points], [y for _, y in points]).slope


def generator_lag(result: dict, window_s: float | None = None) -> str | None:
    """Why the load generator, not the server, set this level's pace; None when it kept up.
    `window_s` (the measured window's length) lets it check that the timetable's starts were
    all made: on a loaded machine Locust may stop before its users' timetable has run out."""
    if not result.get("requests"):
        errors = ", ".join(result.get("errors") or {}) or "no samples"
        return f"the load generator measured nothing ({errors})"
    if (result.get("client") or {}).get("saturated"):
        return "the load generator's CPU was saturated"
    ol = result.get("open_loop") or {}
    if ol.get("dropped"):
        return f"the load generator dropped {ol['dropped']} starts"
    p95 = (ol.get("start_delay_ms") or {}).get("p95")
    if p95 is not None and p95 > GENERATOR_LAG_MS:
        return f"the load generator fell behind its timetable (start delay p95 {p95:.0f} ms)"
    rate = (result.get("load") or {}).get("rate")
    if rate and window_s and result["requests"] < TIMETABLE_SHARE * rate * window_s:
        return (f"the load generator stopped early: {result['requests']} of the timetable's "
                f"{rate * window_s:.0f} starts in the window")
    return None


def checks(result: dict, slos: list[Slo], moved: dict | None) -> list[dict]:
    """Every criterion of the level: {name, observed, limit, margin, text}."""
    out = []
    started = result.get("requests") or 0
    share = (result.get("failures") or 0) / started if started else 1.0
    out.append(_check("failures", share * 100, MAX_FAILURE_SHARE * 100, "%",
                      f"failures {share:.1%} > {MAX_FAILURE_SHARE:.0%}"))
    for slo in slos:
        seen = slo.observed(result)
        seen = math.inf if seen is None else seen  # nothing succeeded: nothing met the SLO
        out.append(_check(str(slo), seen, slo.limit_ms, "ms",
                          f"{str(slo).split('<')[0]} {_ms(seen)} > {_ms(slo.limit_ms)}"))
    if moved is not None:
        behind = ("the work behind fast acks falls behind" if moved.get("ack_slope", 0)
                  <= BACKLOG_SHARE < moved["slope"] else "more arrived than completed")
        out.append(_check("backlog", moved["slope"], BACKLOG_SHARE, "s/s",
                          f"backlog growing: the wait to done grew {moved['slope']:.2f} s per "
                          f"s of the level (> {BACKLOG_SHARE:.2f}: {behind}; "
                          f"{moved['start']} -> {moved['end']} uploads in the system)"))
    return out


def judge(result: dict, slos: list[Slo], moved: dict | None,
          window_s: float | None = None) -> dict:
    """{sustained, margin, checks, failed (the worst check's name), why, generator} of one level."""
    found = checks(result, slos, moved)
    worst = max(found, key=lambda c: c["margin"])
    sustained = all(c["margin"] <= 1 for c in found)
    return {"sustained": sustained, "margin": worst["margin"], "checks": found,
            "failed": None if sustained else worst["name"],
            "why": None if sustained else worst["text"], "generator": generator_lag(result, window_s)}


def _check(name: str, observed: float, limit: float, unit: str, text: str) -> dict:
    margin = observed / limit if limit > 0 else math.inf
    return {"name": name, "observed": None if math.isinf(observed) else round(observed, 3),
            "limit": limit, "unit": unit.strip(),
            "margin": round(min(max(margin, MARGIN_FLOOR), 1e6), 4), "text": text}


def _ms(v: float) -> str:
    if math.isinf(v):
        return "none succeeded"
    return f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"
