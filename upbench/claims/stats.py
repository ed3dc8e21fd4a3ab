"""From per-repetition figures to an interval, and from the interval to a verdict — with a
stopping rule that keeps its error rate however many times a claim is looked at.

- ratios: a t interval on the logs of the per-repetition ratios (each repetition compares two
  arms measured side by side, so slow drift of a shared machine cancels within a repetition;
  logs make 0.5x and 2x symmetric), reported as the geometric mean and its interval;
- values (a slope, a gap in ms, requests per worker): a t interval on the values;
- proportions: the exact (Clopper-Pearson) interval of the pooled successes / trials.

**The stopping rule** (group-sequential, alpha spending). A claim is looked at after every
repetition from the 3rd to the 14th (`MIN_REPETITIONS`..`MAX_REPETITIONS`) and stops at the
first look whose interval lies on one side of the threshold. Looking again after every
repetition with a plain 95 % interval would make a claim whose true effect sits on its
threshold come out decisive ~12 % of the time with 4 looks; here the interval at look n has
the nominal level 1 - alpha(n): alpha(3) = FIRST_ALPHA (99.2 %: a claim far from its threshold
stops at once), then alpha(n) = SPEND_A * (n / MAX_REPETITIONS) ** 2 — very wide at the 4th
look (99.86 %), near 98 % at the cap: an O'Brien-Fleming-like shape that keeps the power for
the last looks. SPEND_A was found by simulation so that the whole sequence is decisive in
4.5 % of runs at the threshold (the t statistic of normal figures does not depend on their
spread, so one constant serves every claim). tests/test_stopping_rule.py re-simulates it on
10 000 runs each way (measured numbers in the README): at the threshold ~4.5 % decisive; one
standard deviation (of a single repetition's figure) past it, ~86 % decided the right way by
the 14th repetition; 8 standard deviations past it, decided at the 3rd look most of the time.
Proportions use the same levels on their pooled exact interval (conservative: fewer errors).
"""

from __future__ import annotations

import math
import statistics

from scipy import stats as sp

from upbench.config import MAX_REPETITIONS, MIN_REPETITIONS

CONFIDENCE = 0.95      # a single interval shown without a decision (e.g. one arm's figures)
FIRST_ALPHA = 0.008    # alpha at the first look (3 repetitions)
SPEND_A = 0.0177       # alpha(n) = SPEND_A * (n / MAX_REPETITIONS) ** SPEND_RHO after it
SPEND_RHO = 2.0


def look_alpha(n: int) -> float:
    """The two-sided error allowed at the look made with n figures (n >= MIN_REPETITIONS)."""
    if n <= MIN_REPETITIONS:
        return FIRST_ALPHA
    return SPEND_A * (min(n, MAX_REPETITIONS) / MAX_REPETITIONS) ** SPEND_RHO


def estimate(kind: str, figures: list) -> float | None:
    """The point estimate alone (also for a single repetition, which has no interval)."""
    if not figures:
        return None
    if kind == "proportion":
        n = sum(f[1] for f in figures)
        return sum(f[0] for f in figures) / n if n else None
    if kind == "ratio":
        logs = [math.log(f) for f in figures if f > 0]
        return math.exp(statistics.fmean(logs)) if logs else None
    return statistics.fmean(figures)


def interval(kind: str, figures: list,
             confidence: float = CONFIDENCE) -> tuple[float, float, float] | None:
    """(estimate, lo, hi), or None when there are too few figures for one."""
    alpha = 1 - confidence
    if kind == "proportion":
        ok, n = sum(f[0] for f in figures), sum(f[1] for f in figures)
        if n == 0:
            return None
        lo = sp.beta.ppf(alpha / 2, ok, n - ok + 1) if ok > 0 else 0.0
        hi = sp.beta.ppf(1 - alpha / 2, ok + 1, n - ok) if ok < n else 1.0
        return ok / n, float(lo), float(hi)
    if kind == "ratio" and any(f <= 0 for f in figures):
        return None  # no log: the caller counts such a repetition as failed, never drops it
    values = [math.log(f) for f in figures] if kind == "ratio" else list(figures)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = sp.t.ppf(1 - alpha / 2, len(values) - 1) * statistics.stdev(values) \
        / math.sqrt(len(values))
    lo, hi = mean - half, mean + half
    if kind == "ratio":
        return math.exp(mean), math.exp(lo), math.exp(hi)
    return mean, lo, hi


def side(kind: str, figures: list, threshold: float) -> tuple[str | None, tuple | None]:
    """At the look made with these figures: ("below"/"above" when the interval at this look's
    level lies on that side of the threshold, else None; the interval)."""
    found = interval(kind, figures, 1 - look_alpha(len(figures)))
    if found is None:
        return None, None
    _, lo, hi = found
    return ("below" if hi < threshold else "above" if lo > threshold else None), found


def decide(kind: str, figures: list, threshold: float, holds_if: str) -> tuple[str, str]:
    """(verdict, reason) for figures against a threshold: the claim holds when the effect is
    `holds_if` ("below"/"above") the threshold. The figures are the looks in order: the
    first decisive look wins; figures past the cap are not read."""
    seq = sequence(kind, figures, threshold)
    if seq["side"]:
        return ("holds" if seq["side"] == holds_if else "does not hold"), ""
    return "inconclusive", seq["reason"]


def sequence(kind: str, figures: list, threshold: float) -> dict:
    """Walk the looks: {"looks", "used" (figures read), "side", "interval", "confidence",
    "stopped" ("decided" | "cap" | "open"), "reason"}."""
    figures = figures[:MAX_REPETITIONS]
    n = len(figures)
    found = None
    for k in range(MIN_REPETITIONS, n + 1):
        where, found = side(kind, figures[:k], threshold)
        if where:
            return {"looks": k - MIN_REPETITIONS + 1, "used": k, "side": where,
                    "interval": found[1:], "confidence": 1 - look_alpha(k),
                    "stopped": "decided", "reason": ""}
    stopped = "cap" if n >= MAX_REPETITIONS else "open"
    out = {"looks": max(0, n - MIN_REPETITIONS + 1), "used": n, "side": None,
           "interval": found[1:] if found else None,
           "confidence": 1 - look_alpha(n) if n >= MIN_REPETITIONS else None,
           "stopped": stopped}
    if n < MIN_REPETITIONS:
        return out | {"reason": f"{n} repetition{'s' if n != 1 else ''}: an interval needs "
                                f"at least {MIN_REPETITIONS}"}
    if found is None:
        return out | {"reason": "no interval could be computed"}
    if kind == "proportion":
        return out | {"reason": "the interval straddles the threshold (too few cut uploads)"}
    sides = [f < threshold for f in figures]
    if any(sides) and not all(sides):
        return out | {"reason": f"repetitions disagree: {sum(sides)} of {n} below the "
                                f"threshold, {n - sum(sides)} above"}
    return out | {"reason": "the interval straddles the threshold"}
