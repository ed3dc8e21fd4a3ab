"""A claim's verdict from the stored results of a run (never from a single level).

The results of an experiment carry `experiment`, `repetition` and `arm` (its role); one
repetition gives one figure when every arm the measure reads has data.
"""

from __future__ import annotations

from collections import defaultdict

from loadtests import failures
from upbench.claims import stats
from upbench.claims.model import Claim, Experiment
from upbench.records import Result, Verdict


def repetitions(doc: dict, exp: Experiment) -> dict[int, dict[str, Result]]:
    """{repetition: {role: result}} of one experiment in a results document."""
    reps: dict[int, dict[str, Result]] = defaultdict(dict)
    for r in doc["results"]:
        if r.get("experiment") == exp.id and r.get("arm") in exp.arms:
            reps[r["repetition"]][r["arm"]] = r
    return dict(sorted(reps.items()))


def context(doc: dict, exp: Experiment) -> dict:
    kind, _, ms = exp.work.partition(":")
    return {"workers": (doc.get("config") or {}).get("workers") or 2,
            "work_s": float(ms) / 1000 if kind in ("sleep", "cpu") and ms else None}


def judge(claim: Claim, doc: dict) -> Verdict:
    exp, measure = claim.experiment, claim.measure
    roles = measure.roles
    rows, figures = [], []
    ctx = context(doc, exp)
    for rep, arms in repetitions(doc, exp).items():
        if not roles <= arms.keys():
            continue
        usable = all(_usable(arms[role]) for role in roles)
        figure = measure.figure(arms, ctx) if usable else None
        rows.append({"repetition": rep, "figure": _round(figure),
                     **{role: _summary(arms[role]) for role in sorted(roles)}})
        if figure is not None:
            figures.append(figure)
    verdict = {"id": claim.id, "claim": claim.claim, "seed": claim.seed, "quote": claim.quote,
               "code": list(claim.code), "experiment": exp.describe() | {"roles": sorted(roles)},
               "effect": {"metric": claim.metric, "estimate": None, "interval": None,
                          "threshold": claim.threshold, "holds_if": claim.holds_if,
                          "unit": claim.unit},
               "repetitions": rows, "why": claim.why, "notes": list(claim.notes)}
    if not rows:
        missing = _missing(doc, claim, roles)
        return {**verdict, "verdict": "not measured", "holds": None, "evidence": missing}
    value, reason = stats.decide(measure.kind, figures, claim.threshold, claim.holds_if)
    verdict["effect"]["estimate"] = _round(stats.estimate(measure.kind, figures))
    found = stats.interval(measure.kind, figures) if figures else None
    if found:
        _, lo, hi = found
        verdict["effect"]["interval"] = [_round(lo), _round(hi)]
    return {**verdict, "verdict": value, "holds": {"holds": True, "does not hold": False}.get(value),
            "evidence": _evidence(claim, verdict["effect"], len(figures), reason)}


def _usable(r: Result) -> bool:
    """A level with too many failed uploads (loadtests.failures.too_many_failed: the level's
    failure warning), or that failed itself, measures nothing."""
    if r.get("level_error"):
        return False
    if r.get("requests"):
        return not failures.too_many_failed(r["requests"], r["failures"])
    return bool(r.get("bystander_ms"))  # the bystanders-only baseline has no uploads


def _summary(r: Result) -> dict:
    lat, by = r.get("latency_ms") or {}, r.get("bystander_ms") or {}
    server = r.get("server") or {}
    return {"target": r["target"], "requests": r.get("requests"), "failures": r.get("failures"),
            "rps": (r.get("throughput") or {}).get("rps"), "latency_p50_ms": lat.get("p50"),
            "completion_p50_ms": (r.get("completion_ms") or {}).get("p50"),
            "bystander_p90_ms": by.get("p90"), "rss_baseline_mb": server.get("rss_baseline_mb"),
            "rss_peak_mb": server.get("rss_peak_mb")}


def _missing(doc: dict, claim: Claim, roles: set[str]) -> str:
    skipped = (doc.get("skipped_experiments") or {}).get(claim.experiment.id)
    if skipped:  # the run could not do it (no Chromium for the browser claims)
        return f"not measured: {skipped}"
    targets = {claim.experiment.arms[role].target for role in roles}
    failed = [v["target"] for v in doc.get("verify", []) if not v["ok"] and v["target"] in targets]
    if failed:
        return (f"not measured: {', '.join(failed)} failed verification or did not start "
                f"(experiment {claim.experiment.id})")
    return (f"not measured: this run lacked experiment '{claim.experiment.id}' "
            f"(python bench.py --claims {claim.id} runs it)")


def _evidence(claim: Claim, effect: dict, n: int, reason: str) -> str:
    sign = "<" if claim.holds_if == "below" else ">"
    unit = claim.unit
    head = f"{claim.metric}: "
    if effect["estimate"] is None:
        head += "no estimate"
    elif effect["interval"] is None:
        head += f"{effect['estimate']:g}{unit} (no interval)"
    else:
        lo, hi = effect["interval"]
        head += f"{effect['estimate']:g}{unit} (95 % interval {lo:g}–{hi:g}{unit})"
    return (f"{head} over {n} repetition{'s' if n != 1 else ''}; the claim needs {sign} "
            f"{claim.threshold:g}{unit}" + (f" — {reason}" if reason else ""))


def _round(x):
    """3 significant digits for a figure; a proportion's (successes, trials) as a list."""
    if x is None or isinstance(x, tuple):
        return None if x is None else list(x)
    return 0.0 if abs(x) < 5e-5 else float(f"{x:.3g}")  # 1e-17 is a zero slope
