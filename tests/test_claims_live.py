"""Claims judged on live servers whose truth is known, both ways, through the real claims run
(servers started, interleaved repetitions, results.json, verdicts):

- a "streaming" server that secretly buffers the whole body fails `streaming-flat-memory-shipped`,
  which flask-stream passes;
- a server whose handler really overlaps its I/O waits (fastapi-stream: `await
  asyncio.sleep`) passes `async-flask-concurrency`, which flask-async fails.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from targets.spec import Target
from upbench import registry
from upbench.claims import CLAIMS
from upbench.claims.experiments import IO_CONCURRENCY, MEMORY
from upbench.claims.judge import MIN_SAMPLE
from upbench.claims.model import Arm
from upbench.config import ClaimsPlan
from upbench.run import claims_run

pytestmark = pytest.mark.slow  # real claims runs, minutes each

HOARDER = Target(name="hoarder", seeds=(), summary="buffers the whole body, then saves it",
                 app="tests.apps.hoarder:app")
# as the default run decides: 3 repetitions, more (up to 8 here) only while a claim is
# undecided by the stopping rule (a claim far from its threshold stops at the 3rd). Locust
# spawns the users over 1 s: the warm-up covers it, so a rate is that of all 8 users
PLAN = ClaimsPlan(min_repetitions=3, max_repetitions=8, duration=2.2, warmup=1.0,
                  phase_budget_s=90.0, survey=False)


def claim_on(claim_id: str, exp_id: str, arms: dict[str, Arm]):
    """The claim on other arms. These tests are about the measure telling servers apart on a
    machine others share, so a saturated server or machine does not make them inconclusive
    here (`about_saturation`; that rule has its own tests in test_evidence.py)."""
    claim = CLAIMS[claim_id]
    experiment = dataclasses.replace(claim.experiment, id=exp_id, arms=arms)
    return dataclasses.replace(claim, experiment=experiment, about_saturation=True)


@pytest.fixture(autouse=True)
def _smaller_minimum_sample(monkeypatch):
    """12 uploads a level instead of 30: short levels keep the suite quick; the minimum and
    the extension of short levels are the same code (tested on known data in test_evidence)."""
    monkeypatch.setitem(MIN_SAMPLE, "uploads", 12)


def run_claims(tmp_path, claims) -> dict[str, dict]:
    """The run's own verdicts (it judges the claims it was given), by experiment."""
    targets = {**registry.discover(), HOARDER.name: HOARDER}
    plan = dataclasses.replace(PLAN, out=tmp_path, quiet=True)
    out = claims_run.run_claims(plan, ["(test)"], targets=targets, claim_list=claims)
    doc = json.loads((out / "results.json").read_text())
    assert all(v["ok"] for v in doc["verify"]), doc["verify"]
    assert len(doc["verdicts"]) == len(claims)
    return {v["experiment"]["id"]: v for v in doc["verdicts"]}


@pytest.mark.slow
def test_memory_claim_tells_a_hoarding_server_from_a_streaming_one(tmp_path):
    def arms(name):
        # the default run's sizes: 16 -> 64 MB in flight, well above RSS noise of a few MB
        return {"stream-8MB": Arm(name, size=8_000_000, users=2, fresh=True),
                "stream-32MB": Arm(name, size=32_000_000, users=2, fresh=True)}
    claims = [claim_on("streaming-flat-memory-shipped", "memory-hoarder", arms("hoarder")),
              claim_on("streaming-flat-memory-shipped", "memory-stream", arms("flask-stream"))]
    assert MEMORY.work == "none"  # the seeds' snippets do no work
    v = run_claims(tmp_path, claims)
    assert v["memory-hoarder"]["verdict"] == "does not hold", v["memory-hoarder"]["evidence"]
    assert v["memory-hoarder"]["effect"]["estimate"] > 0.5  # it holds >= the bytes in flight
    assert v["memory-stream"]["verdict"] == "holds", v["memory-stream"]["evidence"]


@pytest.mark.slow
def test_concurrency_claim_passes_a_server_that_overlaps_waits_and_fails_flask_async(tmp_path):
    def arms(name):
        return {"sync": Arm("flask-sync", size=64_000, users=8),
                "async": Arm(name, size=64_000, users=8)}
    claims = [claim_on("async-flask-concurrency", "io-overlap", arms("fastapi-stream")),
              claim_on("async-flask-concurrency", "io-flask-async", arms("flask-async"))]
    assert IO_CONCURRENCY.work.startswith("sleep:")
    v = run_claims(tmp_path, claims)
    assert v["io-overlap"]["verdict"] == "holds", v["io-overlap"]["evidence"]
    assert v["io-flask-async"]["verdict"] == "does not hold", v["io-flask-async"]["evidence"]


@pytest.fixture(autouse=True)
def _no_leftovers():
    yield
    import psutil
    left = [p.cmdline() for p in psutil.Process().children(recursive=True) if p.is_running()]
    assert not left, left
