"""What each experiment compares, checked from the target specs: the two arms a claim reads
differ only in the factors it declares; the seed's code as written is what a claim says it
judges; every seed sentence left unjudged names its reason and claims that exist."""

from __future__ import annotations

import dataclasses

import pytest

from targets.spec import traits
from upbench import registry
from upbench.claims import CLAIMS
from upbench.claims.model import MemorySlope, Ratio
from upbench.claims.unjudged import UNJUDGED
from upbench.claims.webvitals import VitalGain, VitalRatio

TARGETS = registry.discover()
BROWSER_CLAIMS = {"thread-improves-inp", "background-tasks-improve-inp",
                  "async-flask-improves-inp", "background-improves-lcp"}  # issue 19's ids


def compared(claim) -> tuple[str, str] | None:
    m = claim.measure
    if isinstance(m, Ratio):
        return m.num, m.den
    if isinstance(m, MemorySlope):
        return m.small, m.large
    if isinstance(m, VitalGain):  # the browser claims: the pattern against its control
        return m.pattern, m.control
    if isinstance(m, VitalRatio):
        return m.num, m.den
    return None


def differences(exp, a: str, b: str) -> set[str]:
    """Arm fields (but the target's name) and the targets' traits that differ."""
    arm_a, arm_b = exp.arms[a], exp.arms[b]
    fields = {f.name for f in dataclasses.fields(arm_a)} - {"target"}
    found = {f for f in fields if getattr(arm_a, f) != getattr(arm_b, f)}
    ta, tb = traits(TARGETS[arm_a.target]), traits(TARGETS[arm_b.target])
    return found | {k for k in ta if ta[k] != tb[k]}


@pytest.mark.parametrize("claim_id", [c for c in CLAIMS if compared(CLAIMS[c])])
def test_arms_differ_only_in_the_declared_factor(claim_id):
    claim = CLAIMS[claim_id]
    a, b = compared(claim)
    assert differences(claim.experiment, a, b) == set(claim.differs_in), claim.why


def test_a_claim_with_one_arm_declares_no_factor():
    for claim in CLAIMS.values():
        if compared(claim) is None:
            assert claim.differs_in == (), claim.id


def test_a_differing_arm_is_caught():
    """The check can fail: the same comparison with the sync arm at another rate."""
    claim = CLAIMS["thread-frees-other-requests"]
    arms = dict(claim.experiment.arms)
    arms["sync"] = dataclasses.replace(arms["sync"], rate=arms["sync"].rate * 2)
    exp = dataclasses.replace(claim.experiment, arms=arms)
    assert differences(exp, "thread", "sync") == set(claim.differs_in) | {"rate"}


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_code_as_written_is_judged_and_declared_in_its_spec(claim_id):
    claim = CLAIMS[claim_id]
    judged = {arm.target for role, arm in claim.experiment.arms.items()
              if role in claim.measure.roles}
    assert set(claim.code) <= set(TARGETS) and judged <= set(claim.code)
    for name in claim.as_written:
        spec = TARGETS[name]
        assert name in judged, f"{name} is not an arm the claim reads"
        assert spec.as_written and spec.hardening, f"{name}: no snippet or hardening listed"


def test_every_unjudged_sentence_has_a_reason_and_real_claims():
    for u in UNJUDGED:
        assert u.reason and u.seed in ("000", "001", "002", "003", "004")
        unknown = set(u.judged_by) - set(CLAIMS) - BROWSER_CLAIMS
        assert not unknown, (u.quote, unknown)


def test_202_targets_declare_how_completion_is_learned():
    for spec in TARGETS.values():
        assert spec.completion in ("records", "poll"), spec.name
