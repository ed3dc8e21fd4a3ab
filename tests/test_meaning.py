""""What it means" (upbench/reporting/meaning.py): generated from the verdicts alone, a claim's
declared sentence where it has one, a generic one otherwise, grouped by seed, linked by id."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

from tests.test_claims import doc_with, far, noisy
from upbench.claims import CLAIMS
from upbench.claims.judge import judge
from upbench.reporting import meaning, verdicts

GOLDEN = Path(__file__).resolve().parent / "data" / "results-golden.json"


def test_a_claims_declared_sentence_is_what_the_synthesis_says():
    claim = dataclasses.replace(
        CLAIMS["sync-blocks-others"],
        means_if_holds="Bystanders wait beside sync uploads — because the body is parsed on "
                       "the worker, not because of the save.")
    v = judge(claim, doc_with(claim, noisy(far(claim, True), 4, random.Random(1))))
    assert v["verdict"] == "holds" and v["meaning"] == claim.means_if_holds
    made = meaning.synthesis({"verdicts": [v], "environment": {"cpus": 2}, "pinning": {}})
    (group,) = made["groups"]
    assert group["title"].startswith("Seed 000") and group["counts"] == "1 holds"
    assert group["sentences"] == [{"id": "sync-blocks-others", "verdict": "holds",
                                   "text": claim.means_if_holds}]
    assert made["machine"].startswith("Measured on 2 CPUs shared by")


def test_without_a_declared_sentence_the_verdict_gives_a_generic_one():
    claim = CLAIMS["thread-more-throughput"]
    v = judge(claim, doc_with(claim, noisy(far(claim, False), 4, random.Random(2))))
    assert v["meaning"] == ("Not on this machine: a background thread gives more uploads per "
                            "second than saving in the request.")


def test_the_golden_claims_run_reads_as_one_sentence_per_judged_claim_per_seed():
    """Re-judged from the golden results (a real default run): every judged claim once, its
    seed's group, hidden costs last; the terminal gets the same lines."""
    doc = json.loads(GOLDEN.read_text())
    doc["verdicts"] = verdicts.evaluate(doc)
    made = meaning.synthesis(doc)
    ids = [s["id"] for g in made["groups"] for s in g["sentences"]]
    judged = [v["id"] for v in doc["verdicts"] if v["verdict"] != "not measured"]
    assert sorted(ids) == sorted(judged)
    titles = [g["title"] for g in made["groups"]]
    assert titles[-1].startswith("Hidden costs") and titles[0].startswith("Seed 000")
    lines = meaning.lines(doc)
    assert lines[0] == made["machine"] and len(lines) == len(made["groups"]) + 1
    assert all(f"[{i}]" in " ".join(lines) for i in ids)


def test_a_run_that_judged_no_claim_has_no_synthesis():
    assert meaning.synthesis({"verdicts": []}) is None
    assert meaning.lines({"verdicts": [{"id": "x", "verdict": "not measured"}]}) == []
