"""The search for a capacity: the highest arrival rate a target sustains, with its interval.

It only decides which rate to measure next; `measure(rate)` runs one open-loop level and
returns its record ({"sustained", "margin", "why", "generator", ...}, see upbench/measure/sustain.py).

1. **Grow**: from `start`, double the rate while levels are sustained (down, halving, when
   the first is not), up to `max_rate`.
2. **Bisect** the bracket [last sustained, first not] at its geometric middle until
   hi/lo <= 1 + `resolution` — one level per rate so far.
3. **Confirm**: repeat the two bracketing rates, interleaved (lo hi, then hi lo), and judge each
   rate from its repetitions: the mean of log(margin) with its 95 % t interval (df = n − 1).
   A rate is *sustained* when every repetition met the criteria and the interval lies below 0;
   *over* when every repetition failed and the interval lies above 0; else *inconclusive*.
   A bracket end judged the wrong way moves the bracket (lo over: it becomes hi); one whose
   repetitions disagree (lo with a failed level, hi with a sustained one: it can no longer
   be judged its way) or still inconclusive after `max_reps` is replaced by the next rate
   outward (a rate measured before within two resolution steps, else one step). Ends when
   lo is sustained and hi over. Margins are clipped to [1/10, 10] before the mean (a level
   20x over says no more about the knee than one 10x over).
The interval [lo, hi]: lo's interval lies wholly below the threshold (one-sided 97.5 %) and
hi's wholly above, so the capacity lies between them with at least 95 % confidence. The point
estimate interpolates the mean log margins of lo and hi to where the margin is 1 (log-log).

Stops: a level the load generator could not keep (re-run once; twice in a row ends the search)
gives "≥ R (load generator bound)" with R the highest sustained rate; a sustained `max_rate`
gives "≥ max-rate"; `max_levels` or `budget_s` spent leaves the interval as far as it got
(`decided` false). Every loop is bounded by those caps.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

from upbench.config import SearchPlan

CONFIDENCE = 0.95
MARGIN_CLIP = 10.0  # margins beyond 10x either way say nothing more about the knee


class _Stop(Exception):
    """The search ends early: `bound` says why ("generator" or "budget")."""

    def __init__(self, bound: str, why: str):
        super().__init__(why)
        self.bound, self.why = bound, why


def judge_rate(levels: list[dict]) -> dict:
    """{rate, n, mean, interval, verdict} of one rate from its repetitions (log margins)."""
    usable = [lv for lv in levels if not lv.get("generator")]
    logs = [math.log(min(max(lv["margin"], 1 / MARGIN_CLIP), MARGIN_CLIP)) for lv in usable]
    out = {"rate": levels[0]["rate"], "n": len(logs), "mean": None, "interval": None,
           "sustained": sum(1 for lv in usable if lv["sustained"]), "verdict": "inconclusive"}
    if not logs:
        return out
    mean = statistics.fmean(logs)
    out["mean"] = round(mean, 4)
    if len(logs) < 2:
        return out
    from scipy import stats

    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(logs) - 1)) * \
        statistics.stdev(logs) / math.sqrt(len(logs))
    lo, hi = mean - half, mean + half
    out["interval"] = [round(lo, 4), round(hi, 4)]
    if out["sustained"] == len(usable) and hi < 0:
        out["verdict"] = "sustained"
    elif out["sustained"] == 0 and lo > 0:
        out["verdict"] = "over"
    return out


def nice(rate: float) -> float:
    """Rates the search picks, to 3 significant figures (so a rate can be measured again)."""
    return float(f"{rate:.3g}")


class Search:
    def __init__(self, plan: SearchPlan, measure: Callable[[float], dict],
                 say: Callable[[str], None] = lambda line: None,
                 clock: Callable[[], float] = time.monotonic):
        self.plan, self.measure, self.say, self.clock = plan, measure, say, clock
        self.levels: list[dict] = []
        self.began = clock()

    # --- the phases ------------------------------------------------------------------------

    def run(self) -> dict:
        """The capacity record (without the target's name): rate, interval, bound, why, ..."""
        try:
            lo, hi = self._grow()
            lo, hi = self._bisect(lo, hi)
            return self._confirm(lo, hi)
        except _Stop as stop:
            return self._result(stop.bound, stop.why)

    def _grow(self) -> tuple[float | None, float | None]:
        plan = self.plan
        rate = nice(min(plan.start, plan.max_rate))
        if self._level(rate)["sustained"]:
            while rate < plan.max_rate:
                higher = nice(min(rate * plan.growth, plan.max_rate))
                if not self._level(higher)["sustained"]:
                    return rate, higher
                rate = higher
            return rate, None
        hi = rate
        while (rate := nice(rate / plan.growth)) >= plan.min_rate:
            if self._level(rate)["sustained"]:
                return rate, hi
            hi = rate
        return None, hi

    def _bisect(self, lo, hi) -> tuple[float | None, float | None]:
        while lo is not None and hi is not None and hi / lo > 1 + self.plan.resolution:
            mid = nice(math.sqrt(lo * hi))
            if mid in (lo, hi):
                break
            if self._level(mid)["sustained"]:
                lo = mid
            else:
                hi = mid
        return lo, hi

    def _confirm(self, lo, hi) -> dict:
        for round_ in range(4 * self.plan.max_levels):  # each round measures or moves
            verdict = {r: self.verdict(r) for r in (lo, hi) if r is not None}
            if lo is not None and verdict[lo] == "over":
                lo, hi = self._below(lo), lo
                continue
            if hi is not None and verdict[hi] == "sustained":
                lo, hi = hi, self._above(hi)
                continue
            lo_done = lo is None or verdict[lo] == "sustained"
            hi_done = hi is None or verdict[hi] == "over"
            if lo_done and hi_done:
                if hi is None and lo is not None and lo < self.plan.max_rate:
                    raise _Stop("budget", f"--max-rate {self.plan.max_rate:g}/s was not "
                                "sustained in every repetition, and no rate was over")
                return self._result("max-rate" if hi is None else "slo", decided=True)
            ends = [(lo, lo_done, self._below, True), (hi, hi_done, self._above, False)]
            for rate, done, outward, low in ends if round_ % 2 == 0 else ends[::-1]:
                if done:
                    continue
                disagree = any(lv["sustained"] != low for lv in self.at(rate)
                               if not lv.get("generator"))
                if disagree or len(self.at(rate)) >= self.plan.max_reps:
                    self.say(f"{rate:g}/s: " + ("its repetitions disagree" if disagree else
                                                f"inconclusive after {len(self.at(rate))} "
                                                "repetitions") + "; the next rate outward")
                    lo, hi = (outward(lo), hi) if low else (lo, outward(hi))
                    break
                self._level(rate)
        raise _Stop("budget", "the bracket kept moving")

    def _below(self, rate: float) -> float | None:
        """The next rate under `rate`: one measured before and not judged over, else one
        resolution step down (None under min_rate)."""
        known = [r for r in self.rates() if r < rate and self.verdict(r) != "over"
                 and r >= rate / (1 + self.plan.resolution) ** 2]
        if known:
            return max(known)
        lower = nice(rate / (1 + self.plan.resolution))
        return lower if lower >= self.plan.min_rate else None

    def _above(self, rate: float) -> float | None:
        if rate >= self.plan.max_rate:
            return None
        known = [r for r in self.rates() if r > rate and self.verdict(r) != "sustained"
                 and r <= rate * (1 + self.plan.resolution) ** 2]
        if known:
            return min(known)
        return nice(min(rate * (1 + self.plan.resolution), self.plan.max_rate))

    # --- levels and verdicts ---------------------------------------------------------------

    def _level(self, rate: float, retry: bool = True) -> dict:
        plan = self.plan
        if len(self.levels) >= plan.max_levels:
            raise _Stop("budget", f"{plan.max_levels} levels measured")
        if self.clock() - self.began > plan.budget_s:
            raise _Stop("budget", f"time budget ({plan.budget_s:.0f} s) spent")
        level = dict(self.measure(rate))
        level["rate"] = rate
        level["repetition"] = len(self.at(rate)) + 1
        self.levels.append(level)
        if level.get("generator"):
            if retry:
                self.say(f"{rate:g}/s: {level['generator']}; measured again")
                return self._level(rate, retry=False)
            raise _Stop("generator", f"at {rate:g}/s {level['generator']}")
        return level

    def at(self, rate: float) -> list[dict]:
        return [lv for lv in self.levels if lv["rate"] == rate]

    def rates(self) -> list[float]:
        return sorted({lv["rate"] for lv in self.levels})

    def verdict(self, rate: float) -> str:
        levels = self.at(rate)
        if len([lv for lv in levels if not lv.get("generator")]) < self.plan.min_reps:
            return "inconclusive"
        return judge_rate(levels)["verdict"]

    # --- the answer ------------------------------------------------------------------------

    def _result(self, bound: str, why: str | None = None, decided: bool = False) -> dict:
        """Decided: the ends are rates judged from their repetitions. Not decided (a cap, the
        generator): the best that was seen — rates whose levels all agreed, even once."""
        judged = {r: judge_rate(self.at(r)) | {"verdict": self.verdict(r)} for r in self.rates()}

        def agreed(r: float, sustained: bool) -> bool:
            if decided:
                return judged[r]["verdict"] == ("sustained" if sustained else "over")
            return judged[r]["n"] > 0 and judged[r]["sustained"] == (judged[r]["n"] if sustained
                                                                     else 0)

        lo = max((r for r in judged if agreed(r, True)), default=None)
        hi = min((r for r in judged if agreed(r, False) and (lo is None or r > lo)), default=None)
        if bound == "budget":
            bound, why = "slo", f"not decided ({why}): the interval is as far as it got"
        if bound in ("generator", "max-rate"):
            rate, interval = (lo or 0.0), [lo or 0.0, None]
            why = why or f"every rate up to --max-rate {self.plan.max_rate:g}/s was sustained"
        else:
            rate, interval = self._estimate(judged, lo, hi), [lo or 0.0, hi]
            why = f"{why}; {self._why(hi)}" if why else self._why(hi)
            if lo is None and hi is not None:
                why = f"no rate down to {min(self.rates()):g}/s was sustained; {why}"
        return {"rate": rate, "interval": interval, "bound": bound, "decided": decided,
                "why": why, "rates": list(judged.values()), "levels": self.levels}

    @staticmethod
    def _estimate(judged: dict, lo: float | None, hi: float | None) -> float:
        if lo is None:
            return 0.0
        if hi is None:
            return lo
        a, b = judged[lo]["mean"], judged[hi]["mean"]
        if a is None or b is None or b <= a:
            return lo
        share = min(max(-a / (b - a), 0.0), 1.0)
        return nice(math.exp(math.log(lo) + share * (math.log(hi) - math.log(lo))))

    def _why(self, hi: float | None) -> str:
        """Why the next rate failed: its most frequent failing check, with a count."""
        if hi is None:
            return "no rate was judged over its capacity"
        levels = [lv for lv in self.at(hi) if not lv.get("generator")]
        failing = [lv for lv in levels if lv.get("why")]
        if not failing:
            return f"at {hi:g}/s: over by its margins"
        names = statistics.multimode(lv["failed"] for lv in failing)
        example = next(lv for lv in failing if lv["failed"] == names[0])
        count = sum(1 for lv in failing if lv["failed"] == names[0])
        return f"at {hi:g}/s: {example['why']} ({count} of {len(levels)} repetitions)"
