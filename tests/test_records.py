"""Every key a run writes is declared in upbench/records.py (and described in
docs/contracts.md): stored runs, and records produced now by the judge and by a real run
(tests/test_run.py checks the same on its own sweep)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from upbench.claims import CLAIMS
from upbench.claims.judge import judge
from upbench.records import Result, Verdict, VerifyRecord, undeclared

DATA = sorted((Path(__file__).parent / "data").glob("results-*.json"))


def undeclared_keys(doc: dict) -> list[str]:
    return sorted({key for kind, block in ((Result, "results"), (Verdict, "verdicts"),
                                          (VerifyRecord, "verify"))
                   for record in doc[block] for key in undeclared(record, kind)})


@pytest.mark.parametrize("path", DATA, ids=lambda p: p.name)
def test_stored_runs_carry_only_declared_keys(path):
    assert undeclared_keys(json.loads(path.read_text())) == []


def test_verdicts_judged_now_carry_only_declared_keys():
    doc = json.loads((Path(__file__).parent / "data" / "results-golden.json").read_text())
    verdicts = [judge(claim, doc) for claim in CLAIMS.values()]
    assert {v["verdict"] for v in verdicts} >= {"holds", "does not hold"}  # real verdicts
    assert [key for v in verdicts for key in undeclared(v, Verdict)] == []


def test_an_undeclared_key_is_found_at_any_depth():
    result = {"target": "t", "server": {"rss_peak_mb": 1.0, "rss_peek_mb": 2.0},
              "latency_ms": None, "mystery": 1}
    assert undeclared(result, Result) == ["server.rss_peek_mb", "mystery"]
    check = {"target": "t", "ok": True, "checks": [{"name": "x", "ok": True, "why": "?"}]}
    assert undeclared(check, VerifyRecord) == ["checks.why"]
    assert undeclared({"effect": {"metric": "m", "units": "x"}}, Verdict) == ["effect.units"]
