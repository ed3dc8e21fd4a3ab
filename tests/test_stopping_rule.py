"""The claims' stopping rule keeps its error rate across all its looks (upbench/claims/stats.py).

Simulated, vectorised: 10 000 synthetic claims whose per-repetition figures are normal (on the
log scale for a ratio). With the true effect on the threshold, at most 5 % may come out
decisive (either way) by the cap; one standard deviation (of one repetition's figure) past it,
at least 80 % must be decided the right way by the cap. The t statistic does not depend on the
spread, so a unit spread stands for every claim. A cross-check ties the vectorised rule to the
one the judge runs (`stats.sequence`)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sp

from upbench.claims import stats

RUNS = 10_000
N = stats.MAX_REPETITIONS


def simulate(shift: float, rng: np.random.Generator, runs: int = RUNS) -> tuple[np.ndarray, ...]:
    """(decided, decided the right way, figures used) of `runs` claims whose per-repetition
    figure is threshold + shift + N(0, 1), judged with the rule's looks and levels."""
    x = rng.standard_normal((runs, N)) + shift
    total, squares = np.cumsum(x, axis=1), np.cumsum(x * x, axis=1)
    decided, right = np.zeros(runs, bool), np.zeros(runs, bool)
    used = np.full(runs, N)
    for n in range(stats.MIN_REPETITIONS, N + 1):
        mean = total[:, n - 1] / n
        sd = np.sqrt((squares[:, n - 1] - n * mean ** 2) / (n - 1))
        t = mean / (sd / math.sqrt(n))
        hit = ~decided & (np.abs(t) > sp.t.ppf(1 - stats.look_alpha(n) / 2, n - 1))
        used[hit] = n
        right |= hit & (np.sign(t) == np.sign(shift))
        decided |= hit
    return decided, right, used


def test_at_the_threshold_at_most_5_percent_are_decisive():
    decided, _, _ = simulate(0.0, np.random.default_rng(18))
    assert decided.mean() <= 0.05, decided.mean()
    assert decided.mean() > 0.02  # the rule is not simply never deciding


@pytest.mark.parametrize("direction", [1.0, -1.0])
def test_one_sd_past_the_threshold_is_decided_the_right_way_by_the_cap(direction):
    decided, right, used = simulate(direction, np.random.default_rng(19))
    assert right.mean() >= 0.80, right.mean()
    assert (decided & ~right).mean() < 0.005  # the wrong way: almost never


def test_a_clear_effect_stops_early():
    _, right, used = simulate(8.0, np.random.default_rng(20), runs=2000)
    assert right.mean() > 0.999 and np.median(used) <= 4


def test_proportions_at_the_threshold_keep_the_error_rate():
    """Pooled exact intervals (the share of cut uploads that survived), 40 cut uploads per
    repetition, the true share on the threshold (0.9)."""
    rng, p, trials = np.random.default_rng(21), 0.9, 40
    ok = np.cumsum(rng.binomial(trials, p, size=(RUNS, N)), axis=1)
    decided = np.zeros(RUNS, bool)
    for n in range(stats.MIN_REPETITIONS, N + 1):
        alpha, k, m = stats.look_alpha(n), ok[:, n - 1], trials * n
        lo = np.where(k > 0, sp.beta.ppf(alpha / 2, k, m - k + 1), 0.0)
        hi = np.where(k < m, sp.beta.ppf(1 - alpha / 2, k + 1, m - k), 1.0)
        decided |= (lo > p) | (hi < p)
    assert decided.mean() <= 0.05, decided.mean()


def test_the_simulated_rule_is_the_rule_the_judge_runs():
    rng = np.random.default_rng(22)
    for shift in (0.0, 1.0, -1.5):
        x = rng.standard_normal((40, N)) + shift
        for row in x:
            figures = [math.exp(v) for v in row]  # ratios, threshold 1: logs are the figures
            seq = stats.sequence("ratio", figures, 1.0)
            decided, up, used = simulate_one(row)
            assert seq["used"] == used and (seq["side"] is not None) == decided
            assert not decided or (seq["side"] == "above") == up


def simulate_one(row: np.ndarray) -> tuple:
    total, squares = np.cumsum(row), np.cumsum(row * row)
    for n in range(stats.MIN_REPETITIONS, N + 1):
        mean = total[n - 1] / n
        t = mean / (math.sqrt((squares[n - 1] - n * mean ** 2) / (n - 1)) / math.sqrt(n))
        if abs(t) > sp.t.ppf(1 - stats.look_alpha(n) / 2, n - 1):
            return True, t > 0, n
    return False, False, N
