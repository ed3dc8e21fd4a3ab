"""Every claim's verdict on result sets where the truth is known: it must hold, must not hold,
must be inconclusive (noisy repetitions), must be "not measured" — asserted by value.

The result sets go through the same fields the claims read in a real results.json: each
claim's measure synthesizes arm results with a chosen figure (`Measure.synthesize`)."""

from __future__ import annotations

import random

import pytest

from upbench.claims import CLAIMS, UnknownClaim, select, stats
from upbench.claims.judge import judge
from upbench.claims.model import Claim
from upbench.reporting import verdicts

CONTEXT_CONFIG = {"workers": 2}  # BusyPerWorker.synthesize assumes 2 workers and 300 ms work


def far(claim: Claim, holds: bool) -> float:
    """A figure clearly on one side of the claim's threshold."""
    t, below = claim.threshold, claim.holds_if == "below"
    if claim.measure.kind == "proportion":
        return 1.0 if holds == (not below) else 0.3
    low, high = (t / 2.5, t * 2.5) if claim.measure.kind == "ratio" else (t * 0.2, t * 4)
    return low if holds == below else high


def doc_with(claim: Claim, figures: list[float], seed: int = 1) -> dict:
    """A results document with one repetition per figure, every arm of the experiment."""
    rng = random.Random(seed)
    exp = claim.experiment
    results = []
    for rep, value in enumerate(figures, start=1):
        made = claim.measure.synthesize(value, rng)
        for role, arm in exp.arms.items():
            base = {"target": arm.target, "scenario": arm.scenario, "size_bytes": arm.size,
                    "load": {"model": "closed", "users": arm.users, "rate": None},
                    "requests": 100, "failures": 0, "experiment": exp.id, "arm": role,
                    "repetition": rep, "work": exp.work, "level_error": None,
                    "bystander_ms": {"p90": 1.0, "count": 100}, "latency_ms": {"count": 100}}
            results.append(merged(base, made.get(role, {})))
    return {"config": CONTEXT_CONFIG, "verify": [], "results": results}


def merged(base: dict, made: dict) -> dict:
    """`made` over `base`, one level deep (a block keeps the sample counts of `base`)."""
    return base | {k: (base[k] | v) if isinstance(base.get(k), dict) and isinstance(v, dict)
                   else v for k, v in made.items()}


def noisy(value: float, n: int, rng: random.Random, spread: float = 0.03) -> list[float]:
    return [value * (1 + rng.gauss(0, spread)) for _ in range(n)]


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_clear_effect_on_the_holding_side_holds(claim_id):
    claim = CLAIMS[claim_id]
    v = judge(claim, doc_with(claim, noisy(far(claim, True), 4, random.Random(2))))
    assert v["verdict"] == "holds" and v["holds"] is True, v["evidence"]
    lo, hi = v["effect"]["interval"]
    assert lo <= v["effect"]["estimate"] <= hi
    assert (hi < claim.threshold) if claim.holds_if == "below" else (lo > claim.threshold)
    assert len(v["repetitions"]) == 4 and v["quote"] and v["code"]


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_clear_effect_on_the_other_side_does_not_hold(claim_id):
    claim = CLAIMS[claim_id]
    v = judge(claim, doc_with(claim, noisy(far(claim, False), 4, random.Random(3))))
    assert v["verdict"] == "does not hold" and v["holds"] is False, v["evidence"]
    assert str(claim.threshold) in v["evidence"] or f"{claim.threshold:g}" in v["evidence"]


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_noisy_repetitions_around_the_threshold_are_inconclusive(claim_id):
    claim = CLAIMS[claim_id]
    t = claim.threshold
    figures = [t] * 3 if claim.measure.kind == "proportion" else [t * 0.7, t * 1.3, t * 0.75,
                                                                    t * 1.25]
    v = judge(claim, doc_with(claim, figures))
    assert v["verdict"] == "inconclusive" and v["holds"] is None, v["evidence"]
    lo, hi = v["effect"]["interval"]
    assert lo < t < hi


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_one_repetition_never_decides(claim_id):
    claim = CLAIMS[claim_id]
    v = judge(claim, doc_with(claim, [far(claim, True)]))
    assert v["verdict"] == "inconclusive", v["evidence"]
    assert "1 repetition" in v["evidence"]


def test_a_run_without_the_experiment_is_not_measured_and_says_which():
    for v in verdicts.evaluate({"config": {}, "verify": [], "results": []}):
        assert v["verdict"] == "not measured" and v["holds"] is None
        assert v["experiment"]["id"] in v["evidence"] and "--claims" in v["evidence"]


def test_a_target_that_failed_verification_is_named():
    claim = CLAIMS["thread-answers-faster"]
    doc = {"config": {}, "results": [],
           "verify": [{"target": "flask-thread", "ok": False, "checks": []}]}
    v = judge(claim, doc)
    assert v["verdict"] == "not measured" and "flask-thread failed verification" in v["evidence"]


def test_a_level_whose_uploads_failed_measures_nothing():
    claim = CLAIMS["thread-answers-faster"]
    doc = doc_with(claim, noisy(far(claim, True), 4, random.Random(4)))
    for r in doc["results"]:
        if r["arm"] == "thread":
            r["failures"] = 90  # 90 of 100 uploads failed: a fast failure is not a fast answer
    v = judge(claim, doc)
    assert v["verdict"] == "inconclusive" and v["effect"]["estimate"] is None


def test_every_claim_quotes_its_seed_and_has_a_known_measure():
    seeds = {"000", "001", "002", "003", "004"}
    ids = set(CLAIMS)
    assert {"thread-answers-faster", "thread-frees-other-requests", "thread-more-throughput",
            "sync-blocks-others", "basic-loads-whole-file", "streaming-flat-memory",
            "chunked-survives-drops", "celery-keeps-api-fast", "background-tasks-immediate",
            "async-flask-concurrency", "sync-one-at-a-time", "thread-long-task-instant",
            "thread-holds-uploads-in-memory", "thread-acks-before-durable",
            "sync-slow-client-blocks"} <= ids
    for claim in CLAIMS.values():
        assert claim.seed[:3] in seeds and claim.quote and claim.why
        assert set(claim.code) <= {a.target for a in claim.experiment.arms.values()}


def test_seed_quotes_are_exact(tmp_path):
    """Quotes are the seeds' own words (code quotes: each line is in the seed)."""
    from pathlib import Path

    seeds = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    texts = {p.name[:3]: " ".join(p.read_text().replace("**", "").split())
             for p in seeds.glob("*.txt")}
    for claim in CLAIMS.values():
        for line in claim.quote.splitlines():
            assert " ".join(line.split()) in texts[claim.seed[:3]], (claim.id, line)


def test_select_fails_loudly_on_unknown_ids():
    assert [c.id for c in select("sync-one-at-a-time")] == ["sync-one-at-a-time"]
    assert len(select("")) == len(CLAIMS)
    with pytest.raises(UnknownClaim, match="nope"):
        select("sync-one-at-a-time,nope")


def test_ratio_intervals_are_symmetric_in_log_space():
    est, lo, hi = stats.interval("ratio", [0.5, 0.5 * 1.1, 0.5 / 1.1])
    assert est == pytest.approx(0.5) and lo * hi == pytest.approx(0.25)


def test_exact_interval_of_a_proportion():
    est, lo, hi = stats.interval("proportion", [(40, 40), (40, 40), (40, 40)])
    assert est == 1.0 and hi == 1.0 and 0.96 < lo < 0.98  # 0.025 ** (1/120)


def test_the_claims_read_fields_aggregation_really_writes():
    """The measures' fields come from upbench.measure.aggregate, not only from `synthesize`: tus samples
    with cuts feed `chunked-survives-drops` (a merge once dropped `cut_uploads`)."""
    from upbench.measure import aggregate

    def tus(start, drops, status=204):
        return dict(scenario="resumable", target="t", user=1, kind="upload", start=start,
                    issued=None, sent=start + 0.01, ttfb=start + 0.02, end=start + 0.03,
                    done=start + 0.03, bytes=10, status=status, error=None, upload_id="x",
                    expected_sha256="a", server_sha256="a", final_status="stored",
                    drops=drops, recovery=0.01 * drops, retries=drops, resumes=drops, resent=0)
    samples = [tus(i * 0.1, i % 2) for i in range(40)]
    result = aggregate.summarize(samples, duration=10, warmup=0)
    result["integrity"] = {"lost": 0, "corrupt": 0}
    claim = CLAIMS["chunked-survives-drops"]
    assert claim.measure.figure({"tus": result}, {}) == (20, 20)
