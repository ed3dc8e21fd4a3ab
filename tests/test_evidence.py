"""The rules of evidence a verdict obeys (upbench/claims/judge.py, upbench/conditions.py), on
synthetic results where the truth is known: a failed repetition is counted, a level too small
does not count, a saturated arm makes a verdict inconclusive (not for a claim about
saturation), a claim stops at its first decisive look whatever its siblings ran after, and the
verdict records the conditions of each arm."""

from __future__ import annotations

import dataclasses
import random

from tests.test_claims import doc_with, far, noisy
from upbench import conditions
from upbench.claims import CLAIMS
from upbench.claims.judge import judge, wants_more

FASTER = CLAIMS["thread-answers-faster"]          # ratio of latency p50s: rests on uploads
FREES = CLAIMS["thread-frees-other-requests"]     # ratio of bystander p90s: rests on probes


def calm(server: float = 50.0, client: float = 10.0) -> dict:
    return conditions.level({"cpu_mean_pct": server}, {"cpu_mean_pct": client}, None,
                            server + client, {"target": None}, cpus=2, processes=1)


def with_conditions(doc: dict, **by_role) -> dict:
    for r in doc["results"]:
        r["conditions"] = by_role.get(r["arm"]) or calm()
    return doc


def clear(claim, n=4, seed=2) -> dict:
    return doc_with(claim, noisy(far(claim, True), n, random.Random(seed)))


def test_a_figure_that_cannot_be_computed_is_a_failed_repetition_not_a_dropped_one():
    doc = clear(FASTER, 5)
    rep2 = [r for r in doc["results"] if r["repetition"] == 2 and r["arm"] == "thread"][0]
    rep2["latency_ms"] = {"p50": 0.0, "count": 100}  # a ratio of 0: no log, no figure
    v = judge(FASTER, doc)
    assert v["verdict"] == "inconclusive" and "repetition 2 gave no figure" in v["evidence"]
    assert v["sequential"]["stopped"] == "failed" and not wants_more(v)
    assert v["repetitions"][1]["note"].startswith("failed")
    # the same with the failed repetition removed decides: it was the failure, not the noise
    doc["results"] = [r for r in doc["results"] if r["repetition"] != 2]
    assert judge(FASTER, doc)["verdict"] == "holds"


def test_a_level_whose_uploads_mostly_failed_is_a_failed_repetition():
    doc = clear(FASTER, 4)
    for r in doc["results"]:
        if r["repetition"] == 3 and r["arm"] == "sync":
            r["failures"] = 40
    v = judge(FASTER, doc)
    assert v["verdict"] == "inconclusive" and "40% of its uploads failed" in v["evidence"]


def test_a_level_below_the_minimum_sample_does_not_count():
    doc = clear(FREES, 4)
    for r in doc["results"]:
        if r["repetition"] == 1 and r["arm"] == "sync":
            r["bystander_ms"] = {**r["bystander_ms"], "count": 2}  # a p90 of 2 probes
    v = judge(FREES, doc)
    row = v["repetitions"][0]
    assert row["counted"] is False and "2 probes < 30" in row["note"]
    assert v["sequential"]["used"] == 3 and v["verdict"] == "holds"
    doc["results"] = [r for r in doc["results"] if r["repetition"] != 4]
    v = judge(FREES, doc)  # two counted repetitions are not enough
    assert v["verdict"] == "inconclusive" and "2 repetitions" in v["evidence"]
    assert wants_more(v)


def test_a_saturated_arm_makes_the_verdict_inconclusive_and_says_which():
    hot = conditions.level({"cpu_mean_pct": 185.0}, {"cpu_mean_pct": 8.0}, None, 195.0,
                           {"target": None}, cpus=2, processes=1)
    assert hot["saturated"] and hot["saturated_by"] == ["server", "machine"]
    doc = with_conditions(clear(FASTER), sync=hot)
    v = judge(FASTER, doc)
    assert v["verdict"] == "inconclusive" and v["holds"] is None
    assert "server and the machine of arm 'sync' (flask-sync) were saturated" in v["evidence"]
    assert "it would hold" in v["evidence"] and not wants_more(v)
    assert v["conditions"]["sync"]["saturated"] and not v["conditions"]["thread"]["saturated"]
    # the same figures on calm arms decide
    assert judge(FASTER, with_conditions(clear(FASTER)))["verdict"] == "holds"


def test_a_claim_about_saturation_ignores_a_saturated_server_not_a_saturated_generator():
    about = dataclasses.replace(FASTER, about_saturation=True)
    hot_server = conditions.level({"cpu_mean_pct": 190.0}, {"cpu_mean_pct": 5.0}, None, 195.0,
                                  {"target": None}, cpus=2, processes=1)
    assert judge(about, with_conditions(clear(FASTER), sync=hot_server))["verdict"] == "holds"
    hot_client = conditions.level({"cpu_mean_pct": 60.0}, {"cpu_mean_pct": 97.0}, None, 157.0,
                                  {"target": None}, cpus=2, processes=1)
    v = judge(about, with_conditions(clear(FASTER), thread=hot_client))
    assert v["verdict"] == "inconclusive" and "generator of arm 'thread'" in v["evidence"]


def test_pinned_sides_are_judged_on_their_own_cpus():
    pinned = {"target": [0, 1, 2], "client": [3]}
    c = conditions.level({"cpu_mean_pct": 250.0}, {"cpu_mean_pct": 40.0}, None, 390.0, pinned,
                         cpus=4, processes=1)
    assert c["server_cpus"] == 3 and c["client_cpus"] == 1 and not c["shared"]
    assert not c["saturated"]  # 250 % of 3 CPUs, 40 % of 1; the machine is not shared
    c = conditions.level({"cpu_mean_pct": 280.0}, {"cpu_mean_pct": 40.0}, None, None, pinned,
                         cpus=4, processes=1)
    assert c["saturated_by"] == ["server"]


def test_an_arms_conditions_are_its_mean_over_the_repetitions():
    doc = clear(FASTER, 4)
    for r in doc["results"]:  # one level near the limit, the others calm: the mean is calm
        r["conditions"] = calm(185.0 if r["repetition"] == 1 else 60.0, 5.0)
    v = judge(FASTER, doc)
    sync = v["conditions"]["sync"]
    assert sync["target"] == "flask-sync" and sync["levels"] == v["sequential"]["used"]
    assert {"server_cpu_pct", "server_cpus", "client_cpu_pct", "client_cpus",
            "saturated"} <= sync.keys()
    assert not sync["saturated"] and v["verdict"] == "holds"


def test_repetitions_run_for_a_sibling_after_the_claim_stopped_are_not_read():
    """Decided at its 3rd repetition; the arms ran 3 more for another claim, with figures on
    the other side: the claim's verdict is what it was when it stopped."""
    far_away = far(FASTER, True) / 3  # far enough to stop at the first look
    doc = doc_with(FASTER, noisy(far_away, 3, random.Random(5)) + [2.0, 2.1, 1.9])
    v = judge(FASTER, doc)
    assert v["verdict"] == "holds" and v["sequential"]["used"] == 3
    assert [row["counted"] for row in v["repetitions"]] == [True] * 3 + [False] * 3
    assert "after the claim stopped" in v["repetitions"][4]["note"]


def test_results_without_recorded_conditions_are_still_judged():
    v = judge(FASTER, clear(FASTER))
    assert v["verdict"] == "holds" and v["conditions"] is None


def test_only_the_arms_of_claims_that_want_more_are_repeated():
    """Heavy processing: background-tasks-immediate is decided (a clear 0.1x on its two arms),
    thread-long-task-instant-cpu sits on its threshold after 3 repetitions: the next
    repetition runs the undecided claim's two arms only — never the decided claim's."""
    from types import SimpleNamespace

    from upbench.run import claims_run

    decided, close = CLAIMS["background-tasks-immediate"], CLAIMS["thread-long-task-instant-cpu"]
    doc = doc_with(close, [0.5, 0.52, 0.48])
    rng = random.Random(4)
    for rep in (1, 2, 3):
        made = decided.measure.synthesize(0.1, rng)
        for r in doc["results"]:
            if r["repetition"] == rep and r["arm"] in made:
                r.update(made[r["arm"]])
    ctx = SimpleNamespace(doc=doc)
    assert judge(decided, doc)["verdict"] == "holds"
    assert wants_more(judge(close, doc))
    exp = close.experiment
    assert claims_run._roles_to_repeat(ctx, exp, [decided, close], False, set()) == \
        {"thread", "sync"}
    assert claims_run._roles_to_repeat(ctx, exp, [decided], False, set()) == set()
    # an arm whose levels stay too small for its figure: its claim stops asking
    stuck = {(exp.id, "sync", "uploads")}
    assert claims_run._roles_to_repeat(ctx, exp, [decided, close], False, stuck) == set()
    assert claims_run._roles_to_repeat(ctx, exp, [decided], True, set()) == set(exp.arms)


class _Progress:
    def __init__(self):
        self.lines = []

    def __getattr__(self, name):
        return lambda *args: self.lines.append((name, *args))


def test_a_level_too_small_is_run_again_longer_within_the_cap(monkeypatch):
    """The claims run's side of the minimum sample, with levels faked at known rates: 12
    uploads in a 2 s level (1.6 s measured: 7.5/s) is run again for 0.4 + 30 / 7.5 x 1.25 =
    5.4 s, and later repetitions start there; when the rate then drops to 4/s, 20 uploads in
    5.4 s: again, for 0.4 + 30 / 4 x 1.25 = 9.8 s. 1 upload (1/s) would need 38 s, over the
    15 s cap: kept, not counted, its claim stops asking."""
    from types import SimpleNamespace

    from upbench.config import ClaimsPlan
    from upbench.run import claims_run

    rate = {("sync", 1): 7.5, ("sync", 2): 4.0, ("thread", 1): 1.0, ("thread", 2): 1.0}
    ran = []

    def level(ctx, plan, subject, arm, exp, rep, role, duration=None, browser=None):
        n = int(rate[role, rep] * (duration - 0.4))
        r = {"arm": role, "repetition": rep, "latency_ms": {"count": n},
             "throughput": {"rps": rate[role, rep]}}
        ran.append((role, rep, duration))
        ctx.doc["results"].append(r)
        return r

    monkeypatch.setattr(claims_run, "_level", level)
    ctx = SimpleNamespace(doc={"results": []}, progress=_Progress())
    plan, sizes, exp = ClaimsPlan(warmup=0.4, duration=2.0), claims_run._Lengths(), \
        FASTER.experiment
    for rep in (1, 2):
        for role in ("sync", "thread"):
            claims_run._sampled_level(ctx, plan, None, exp, role, rep, {"uploads"}, sizes)
    assert ran == [("sync", 1, 2.0), ("sync", 1, 5.4), ("thread", 1, 2.0), ("sync", 2, 5.4),
                   ("sync", 2, 9.8), ("thread", 2, 2.0)]
    kept = [(r["arm"], r["repetition"], r["latency_ms"]["count"]) for r in ctx.doc["results"]]
    assert kept == [("sync", 1, 37), ("thread", 1, 1), ("sync", 2, 37), ("thread", 2, 1)]
    assert ctx.doc["results"][0]["extended"] == {"from_s": 2.0, "reason": "12 uploads < 30"}
    assert sizes.stuck == {(exp.id, "thread", "uploads")}
