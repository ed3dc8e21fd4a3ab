"""A claim's verdict from the stored results of a run (never from a single level).

The results of an experiment carry `experiment`, `repetition` and `arm` (its role); one
repetition gives one figure when every arm the measure reads has data. The repetitions are
read in order, as the looks of the stopping rule (`stats`): the claim stops at its first
decisive look, so repetitions run later for a sibling claim sharing its arms are shown but not
read. Three rules of evidence on the way:

- a level too small to rest a figure on (fewer than 30 uploads, or 30 bystander probes, in its
  measured window, where the figure is a latency percentile, a mean or a rate) does not count:
  the run extends such levels within a cap first (upbench/run/claims_run.py);
- a repetition whose figure cannot be computed (a failed level, a missing figure, a ratio of
  zero) is a *failed* repetition, never a dropped one: the claim is then inconclusive, saying so;
- a verdict resting on an arm whose server, generator or shared machine was saturated (mean
  CPU over the counted repetitions, upbench/conditions.py) is inconclusive, unless the claim is
  about saturation (`about_saturation`: then only a saturated generator counts).
"""

from __future__ import annotations

from collections import defaultdict

from loadtests import failures
from upbench import conditions
from upbench.claims import stats
from upbench.claims.model import Claim, Experiment
from upbench.records import Result, Verdict

MIN_SAMPLE = {"uploads": 30, "probes": 30}
_BLOCK = {"uploads": "latency_ms", "probes": "bystander_ms"}


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


def sample_short(r: Result, what: str) -> str | None:
    """Why a level is too small for a figure resting on its `what` ("uploads"/"probes"), or
    None. A level that does not say how many it had (old results) is taken as it is."""
    count = (r.get(_BLOCK[what]) or {}).get("count")
    need = MIN_SAMPLE[what]
    if count is None and r.get(_BLOCK[what]) is not None:
        return None
    count = count or 0
    return f"{count} {what} < {need}" if count < need else None


def judge(claim: Claim, doc: dict) -> Verdict:
    exp, measure = claim.experiment, claim.measure
    roles = measure.roles
    walk = _walk(claim, doc)
    rows, figures, failed = walk["rows"], walk["figures"], walk["failed"]
    verdict = {"id": claim.id, "claim": claim.claim, "seed": claim.seed, "quote": claim.quote,
               "code": list(claim.code), "code_as_written": list(claim.as_written),
               "experiment": exp.describe() | {"roles": sorted(roles)},
               "effect": {"metric": claim.metric, "estimate": None, "interval": None,
                          "threshold": claim.threshold, "holds_if": claim.holds_if,
                          "unit": claim.unit},
               "repetitions": rows, "why": claim.why, "notes": list(claim.notes),
               "about_saturation": claim.about_saturation}
    if not rows:
        missing = _missing(doc, claim, roles)
        return {**verdict, "verdict": "not measured", "holds": None, "evidence": missing,
                "conditions": None, "meaning": None}
    seq = stats.sequence(measure.kind, figures, claim.threshold)
    used = figures[:seq["used"]]
    verdict["effect"]["estimate"] = _round(stats.estimate(measure.kind, used))
    if seq["interval"]:
        verdict["effect"]["interval"] = [_round(x) for x in seq["interval"]]
        verdict["effect"]["confidence"] = _round(seq["confidence"])
    verdict["conditions"] = _conditions(claim, walk["levels"])
    value = "inconclusive"
    if seq["side"]:
        value = "holds" if seq["side"] == claim.holds_if else "does not hold"
    reason, stopped = seq["reason"], "failed" if failed else seq["stopped"]
    uncounted = sum(1 for row in rows if (row.get("note") or "").startswith("too few"))
    if uncounted and not seq["side"]:
        reason += (f"; {uncounted} repetition{'s' if uncounted != 1 else ''} did not count "
                   "(too few uploads or probes in a level)")
    saturated = _saturated(claim, verdict["conditions"])
    if failed:
        value, reason = "inconclusive", (f"repetition {failed[0]} gave no figure ({failed[1]}): "
                                         "a failed repetition counts, it is never dropped")
    elif saturated:
        would = f"it would {'not ' if value == 'does not hold' else ''}hold; " \
            if value != "inconclusive" else ""
        value, reason = "inconclusive", f"{would}{saturated}: the figures measure the machine"
        stopped = "saturated" if stopped == "open" else stopped  # more cannot decide it
    # stopped: decided | cap (14 repetitions) | open | failed | saturated
    verdict["sequential"] = {"looks": seq["looks"], "used": seq["used"], "stopped": stopped,
                             "confidence": _round(seq["confidence"]),
                             "max_repetitions": stats.MAX_REPETITIONS}
    out = {**verdict, "verdict": value,
           "holds": {"holds": True, "does not hold": False}.get(value),
           "evidence": _evidence(claim, verdict["effect"], seq, reason)}
    return out | {"meaning": meaning(claim, out)}


def wants_more(v: Verdict) -> bool:
    """Could another repetition decide this claim? Only its own state counts: undecided by the
    stopping rule, below the cap, no failed repetition, no saturated arm it rests on."""
    return v.get("verdict") == "inconclusive" and \
        (v.get("sequential") or {}).get("stopped") == "open"


def meaning(claim: Claim, v: Verdict) -> str | None:
    """One sentence for the report's synthesis: the claim's own, or a generic one."""
    own = {"holds": claim.means_if_holds, "does not hold": claim.means_if_not}
    return own.get(v["verdict"]) or generic_meaning(claim.claim, v["verdict"])


def generic_meaning(claim_line: str, verdict: str) -> str | None:
    text = claim_line.rstrip(".")
    first = text.split(" ", 1)[0]
    # "Saving ..." -> "saving ...", but a name stays a name ("BackgroundTasks", "Celery's")
    lower = text if any(ch.isupper() for ch in first[1:]) else text[:1].lower() + text[1:]
    return {"holds": f"{text}.", "does not hold": f"Not on this machine: {lower}.",
            "inconclusive": f"Undecided: whether {lower}."}.get(verdict)


def _walk(claim: Claim, doc: dict) -> dict:
    """The repetitions in order, as the stopping rule reads them: {"rows", "figures" (counted,
    in order), "failed" ((repetition, why) of the first failed one, or None), "levels"
    ({role: [results of counted repetitions]})}."""
    exp, measure = claim.experiment, claim.measure
    roles, kind = measure.roles, measure.kind
    needs = getattr(measure, "samples", {})
    ctx = context(doc, exp)
    rows, figures, levels = [], [], defaultdict(list)
    failed, stopped = None, False
    for rep, arms in repetitions(doc, exp).items():
        if not roles <= arms.keys():
            continue
        row = {"repetition": rep, "figure": None, "counted": False,
               **{role: _summary(arms[role]) for role in sorted(roles)}}
        rows.append(row)
        if stopped:
            row["note"] = "after the claim stopped (run for another claim)"
            continue
        broken = next((f"{role}: {why}" for role in sorted(roles)
                       if (why := _broken(arms[role]))), None)
        short = next((f"{role}: {why}" for role, what in sorted(needs.items())
                      if (why := sample_short(arms[role], what))), None)
        figure = measure.figure(arms, ctx) if not broken else None
        row["figure"] = _round(figure)
        if broken or figure is None or (kind == "ratio" and figure <= 0):
            failed, stopped = (rep, broken or "the figure could not be computed"), True
            row["note"] = f"failed: {failed[1]}"
            continue
        if short:
            row["note"] = f"too few to count: {short}"
            continue
        row["counted"] = True
        figures.append(figure)
        for role in roles:
            levels[role].append(arms[role])
        if len(figures) >= stats.MIN_REPETITIONS and \
                stats.side(kind, figures, claim.threshold)[0] or \
                len(figures) >= stats.MAX_REPETITIONS:
            stopped = True
    return {"rows": rows, "figures": figures, "failed": failed, "levels": levels}


def _broken(r: Result) -> str | None:
    """Why a level measured nothing: it failed itself, or too many of its uploads failed
    (loadtests.failures.too_many_failed: the level's failure warning)."""
    if r.get("level_error"):
        return str(r["level_error"])
    if r.get("requests"):
        share = failures.share(r["requests"], r["failures"])
        return f"{share:.0%} of its uploads failed" if failures.too_many_failed(
            r["requests"], r["failures"]) else None
    return None if r.get("bystander_ms") else "no uploads and no probes"


def _conditions(claim: Claim, levels: dict[str, list[Result]]) -> dict | None:
    """{role: the arm's mean conditions}, for the arms the figure reads; None when the results
    predate recorded conditions."""
    out = {}
    for role in sorted(claim.measure.roles):
        found = conditions.mean([r.get("conditions") for r in levels.get(role, [])])
        if found:
            out[role] = {"target": claim.experiment.arms[role].target} | found
    return out or None


def _saturated(claim: Claim, conds: dict | None) -> str | None:
    """Why the verdict rests on a saturated arm, or None."""
    for role, c in (conds or {}).items():
        by = [s for s in c["saturated_by"] if not claim.about_saturation or s == "generator"]
        if by:
            return (f"the {' and the '.join(by)} of arm '{role}' ({c['target']}) "
                    f"{'was' if len(by) == 1 else 'were'} saturated "
                    f"({conditions.describe(c)})")
    return None


def _summary(r: Result) -> dict:
    lat, by = r.get("latency_ms") or {}, r.get("bystander_ms") or {}
    server = r.get("server") or {}
    return {"target": r["target"], "requests": r.get("requests"), "failures": r.get("failures"),
            "rps": (r.get("throughput") or {}).get("rps"), "latency_p50_ms": lat.get("p50"),
            "completion_p50_ms": (r.get("completion_ms") or {}).get("p50"),
            "bystander_p90_ms": by.get("p90"), "bystander_probes": by.get("count"),
            "rss_baseline_mb": server.get("rss_baseline_mb"),
            "rss_peak_mb": server.get("rss_peak_mb"),
            "saturated": (r.get("conditions") or {}).get("saturated")}


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


def _evidence(claim: Claim, effect: dict, seq: dict, reason: str) -> str:
    sign = "<" if claim.holds_if == "below" else ">"
    unit = claim.unit
    head = f"{claim.metric}: "
    if effect["estimate"] is None:
        head += "no estimate"
    elif effect["interval"] is None:
        head += f"{effect['estimate']:g}{unit} (no interval)"
    else:
        lo, hi = effect["interval"]
        level = f"{100 * seq['confidence']:.3g} % interval" if seq["confidence"] else "interval"
        looks = f", {seq['looks']} look{'s' if seq['looks'] != 1 else ''}"
        head += f"{effect['estimate']:g}{unit} ({level} {lo:g}–{hi:g}{unit}{looks})"
    n = seq["used"]
    return (f"{head} over {n} repetition{'s' if n != 1 else ''}; the claim needs {sign} "
            f"{claim.threshold:g}{unit}" + (f" — {reason}" if reason else ""))


def _round(x):
    """3 significant digits for a figure; a proportion's (successes, trials) as a list."""
    if x is None or isinstance(x, (tuple, list)):
        return None if x is None else list(x)
    return 0.0 if abs(x) < 5e-5 else float(f"{x:.3g}")  # 1e-17 is a zero slope
