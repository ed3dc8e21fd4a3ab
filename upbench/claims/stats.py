"""From per-repetition figures to an interval, and from the interval to a verdict.

- ratios: a t interval on the logs of the per-repetition ratios (each repetition compares two
  arms measured side by side, so slow drift of a shared machine cancels within a repetition;
  logs make 0.5x and 2x symmetric), reported as the geometric mean and its interval;
- values (a slope, a gap in ms, requests per worker): a t interval on the values;
- proportions: the exact (Clopper-Pearson) interval of the pooled successes / trials.

95 % two-sided intervals. The t interval is the right one for few repetitions (3-6): a
bootstrap of 3 values has 10 distinct resamples and is overconfident.
"""

from __future__ import annotations

import math
import statistics

from scipy import stats as sp

from upbench.config import MIN_REPETITIONS

CONFIDENCE = 0.95


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


def interval(kind: str, figures: list) -> tuple[float, float, float] | None:
    """(estimate, lo, hi), or None when there are too few figures for one."""
    if kind == "proportion":
        ok, n = sum(f[0] for f in figures), sum(f[1] for f in figures)
        if n == 0:
            return None
        alpha = 1 - CONFIDENCE
        lo = sp.beta.ppf(alpha / 2, ok, n - ok + 1) if ok > 0 else 0.0
        hi = sp.beta.ppf(1 - alpha / 2, ok + 1, n - ok) if ok < n else 1.0
        return ok / n, float(lo), float(hi)
    values = [math.log(f) for f in figures if f > 0] if kind == "ratio" else list(figures)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = sp.t.ppf((1 + CONFIDENCE) / 2, len(values) - 1) * statistics.stdev(values) \
        / math.sqrt(len(values))
    lo, hi = mean - half, mean + half
    if kind == "ratio":
        return math.exp(mean), math.exp(lo), math.exp(hi)
    return mean, lo, hi


def decide(kind: str, figures: list, threshold: float, holds_if: str) -> tuple[str, str]:
    """(verdict, reason) for figures against a threshold: the claim holds when the effect is
    `holds_if` ("below"/"above") the threshold."""
    n = len(figures)
    if n < MIN_REPETITIONS:
        return "inconclusive", (f"{n} repetition{'s' if n != 1 else ''}: an interval needs at "
                                f"least {MIN_REPETITIONS}")
    found = interval(kind, figures)
    if found is None:
        return "inconclusive", "no figure could be computed"
    _, lo, hi = found
    below, above = hi < threshold, lo > threshold
    if below or above:
        return ("holds" if below == (holds_if == "below") else "does not hold"), ""
    if kind == "proportion":
        return "inconclusive", "the interval straddles the threshold (too few cut uploads)"
    sides = [f < threshold for f in figures]
    if any(sides) and not all(sides):
        return "inconclusive", (f"repetitions disagree: {sum(sides)} of {n} below the "
                                f"threshold, {n - sum(sides)} above")
    return "inconclusive", "the interval straddles the threshold"
