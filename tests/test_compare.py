"""`compare`: a change is flagged only beyond the noise the repetitions show, single-run
comparisons say so, verdicts that changed are listed; synthetic results where the truth is known."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from upbench.reporting import compare

REPO = Path(__file__).resolve().parent.parent


def result(p95: float, rep: int | None = None, target: str = "flask-sync", work: str | None = None,
           users: int = 4, failures: int = 0) -> dict:
    lat = {"p50": p95 / 2, "p90": p95 * 0.9, "p95": p95, "p99": p95 * 1.2, "p999": p95 * 1.5,
           "max": p95 * 2, "mean": p95 / 2}
    r = {"target": target, "scenario": "upload", "size_bytes": 64_000,
         "load": {"model": "closed", "users": users, "rate": None}, "requests": 100,
         "failures": failures, "latency_ms": lat, "ttfb_ms": lat, "completion_ms": lat,
         "throughput": {"rps": 1000 / p95, "mbps": 64 / p95}, "server": {"rss_peak_mb": 90.0},
         "integrity": {"lost": 0}}
    if rep is not None:
        r["repetition"] = rep
    if work is not None:
        r["work"] = work
    return r


def doc(*results: dict, work: str = "sha256", verdicts: list | None = None) -> dict:
    return {"schema": "upbench/1", "config": {"work": work}, "results": list(results),
            "verdicts": verdicts or []}


def repeated(values: list[float], **kw) -> dict:
    return doc(*(result(v, rep=i + 1) for i, v in enumerate(values)), **kw)


P95_10 = compare.parse_thresholds("p95:10%")


def test_welch_interval_matches_scipy():
    from scipy import stats

    xs, ys = [1.0, 2.0, 3.0, 2.5], [4.0, 5.5, 6.0]
    d, lo, hi = compare.welch_interval(xs, ys)
    ci = stats.ttest_ind(ys, xs, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(sum(ys) / 3 - sum(xs) / 4)
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_noise_alone_is_not_a_change_even_where_the_estimate_crosses_the_limit():
    # the same machine, the same code: +15 % on the geometric means, but the runs scatter
    old, new = repeated([100, 130, 80]), repeated([125, 90, 140])
    lines, failing = compare.compare(old, new, P95_10)
    assert failing == []
    text = "\n".join(lines)
    assert "limit crossed but within noise (not a failure)" in text and "within noise" in text
    assert "No figure moved beyond noise." in text


def test_a_clear_slowdown_is_changed():
    old, new = repeated([100, 104, 97]), repeated([160, 158, 166])
    lines, failing = compare.compare(old, new, P95_10)
    assert len(failing) == 1 and "[changed]" in failing[0] and "p95" in failing[0]
    assert "+61% [+50%, +73%] (3 vs 3 repetitions, beyond noise)" in failing[0]
    assert "Beyond noise (the interval excludes no change):" in lines


def test_beyond_noise_but_under_the_limit_does_not_fail():
    old, new = repeated([100, 100.5, 99.5]), repeated([104, 104.5, 103.5])  # +4 %, tight
    lines, failing = compare.compare(old, new, P95_10)
    assert failing == []
    assert any("p95" in line and "beyond noise" in line for line in lines)


def test_single_run_is_labelled_and_a_crossing_still_fails():
    lines, failing = compare.compare(doc(result(100)), doc(result(120)), P95_10)
    assert len(failing) == 1 and "[single-run]" in failing[0]
    assert "Single-run comparison: no level repeated on both sides, so no noise estimate." in lines
    _, failing = compare.compare(doc(result(100)), doc(result(105)), P95_10)
    assert failing == []
    # repetitions on one side only: still single-run
    _, failing = compare.compare(repeated([100, 101, 99]), doc(result(120)), P95_10)
    assert "[single-run]" in failing[0]


def test_beside_repeated_levels_a_single_run_crossing_is_reported_not_gated():
    """A claims run: its experiments are repeated, its survey levels run once. Two runs of the
    same commit must not fail the gate on a survey level's one measurement a side."""
    def run(survey_p95, reps):
        return doc(*(result(v, rep=i + 1) for i, v in enumerate(reps)),
                   result(survey_p95, target="s3"))
    lines, failing = compare.compare(run(100, [100, 102, 98]), run(150, [101, 99, 100]), P95_10)
    assert failing == []
    assert any("s3" in line and "not gated" in line for line in lines)
    # without any repeated level the single-run rule is the only one: it still fails
    _, failing = compare.compare(doc(result(100, target="s3")), doc(result(150, target="s3")),
                                 P95_10)
    assert len(failing) == 1 and "single-run" in failing[0]


def test_false_alarms_stay_near_the_confidence_level_and_real_slowdowns_are_found():
    rng = random.Random(12)

    def run(factor: float) -> list[float]:
        return [100 * factor * rng.lognormvariate(0, 0.08) for _ in range(3)]

    alarms = sum(compare.change(run(1), run(1)).beyond_noise for _ in range(400))
    assert alarms / 400 < 0.10  # 95 % intervals: about 5 % by construction
    found = sum(compare.change(run(1), run(1.5)).changed(P95_10[0]) for _ in range(100))
    assert found >= 95


def test_counts_that_can_be_zero_use_a_difference():
    c = compare.change([0.0, 0.0, 0.0], [3.0, 4.0, 5.0])
    assert not c.relative and c.estimate == 4 and c.beyond_noise
    assert compare.Threshold("failures", 0).crossed(c.old_value, c.new_value)
    assert compare.change([0.0], [0.0]).estimate_text() == "±0"


def test_work_is_part_of_the_key_and_a_lone_other_work_is_matched():
    old = doc(result(100), result(50, target="fastapi-stream"))  # work from the run's config
    new = doc(result(400, work="sleep:50"), result(51, target="fastapi-stream", work="sha256"))
    lines, failing = compare.compare(old, new, P95_10)
    assert any(line.startswith("flask-sync") and line.endswith("[work sha256 -> sleep:50]")
               for line in lines)
    assert len(failing) == 1 and "4u [work sha256 -> sleep:50]: p95" in failing[0]
    # two works of the same level in NEW: only the same work is matched
    new2 = doc(result(100, work="sha256"), result(400, work="sleep:50"))
    lines, failing = compare.compare(doc(result(100)), new2, P95_10)
    assert failing == [] and any("(new: not in OLD)" in line for line in lines)


def test_changed_verdicts_by_id_then_claim():
    old = [{"id": "a", "claim": "A", "verdict": "holds", "holds": True},
           {"claim": "B", "holds": False}, {"id": "c", "claim": "C", "verdict": "inconclusive"}]
    new = [{"id": "a", "claim": "A (reworded)", "verdict": "does not hold", "holds": False},
           {"claim": "B", "holds": False}, {"id": "d", "claim": "D", "verdict": "holds"}]
    lines = compare.verdict_changes(doc(verdicts=old), doc(verdicts=new))
    assert lines[0] == "Verdicts: 3 changed"
    assert "VERDICT  a: holds -> does not hold" in lines
    assert "VERDICT  d: only in NEW (holds)" in lines and "VERDICT  c: only in OLD (inconclusive)" in lines
    assert not any(" B" in line for line in lines)


@pytest.mark.parametrize("new_p95, code", [([101, 99, 100], 0), ([160, 158, 166], 1)])
def test_cli_exit_codes(tmp_path, new_p95, code):
    (tmp_path / "old.json").write_text(json.dumps(repeated([100, 104, 97])))
    (tmp_path / "new.json").write_text(json.dumps(repeated(new_p95)))
    out = subprocess.run([sys.executable, "bench.py", "compare", str(tmp_path / "old.json"),
                          str(tmp_path / "new.json"), "--fail-on", "p95:10%"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == code, out.stderr
    assert ("THRESHOLD CROSSED" in out.stdout) == bool(code)
    bad = subprocess.run([sys.executable, "bench.py", "compare", str(tmp_path / "old.json"),
                          str(tmp_path / "new.json"), "--fail-on", "p42:1%"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
