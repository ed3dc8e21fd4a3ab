"""A short end-to-end `bench.py run`, its results.json checked field by field, and `report`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # an end-to-end sweep of 16 levels, and its report

REPO = Path(__file__).resolve().parent.parent
DIST = {"p50", "p90", "p95", "p99", "p999", "max", "mean"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = subprocess.run(
        [sys.executable, "bench.py", "run", "--targets", "flask-sync,flask-stream",
         "--scenarios", "upload,mixed", "--sizes", "16KB,600KB", "--users", "1,3",
         "--duration", "2500ms", "--warmup", "0.5s", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith(str(out))
    return out


def test_results_json_follows_the_schema(run_dir):
    doc = json.loads((run_dir / "results.json").read_text())
    assert doc["schema"] == "upbench/1"
    assert {"run_id", "created", "command", "environment", "config", "verify", "results",
            "verdicts"} <= doc.keys()
    env = doc["environment"]
    assert {"python", "platform", "cpus", "packages", "git"} <= env.keys()
    assert env["packages"]["locust"] and env["packages"]["flask"]
    assert "--targets flask-sync,flask-stream" in doc["command"]
    assert [v["target"] for v in doc["verify"]] == ["flask-sync", "flask-stream"]
    assert all(v["ok"] and v["checks"] for v in doc["verify"])
    assert len(doc["results"]) == 2 * 2 * 2 * 2  # targets x scenarios x sizes x levels

    for r in doc["results"]:
        assert r["load"]["model"] == "closed" and r["load"]["users"] in (1, 3)
        assert r["size_bytes"] in (16_000, 600_000)
        assert r["duration_s"] == 2.5
        assert r["requests"] > 0 and r["failures"] == 0 and r["errors"] == {}
        assert r["throughput"]["rps"] > 0
        assert r["throughput"]["mbps"] == pytest.approx(
            r["throughput"]["rps"] * r["size_bytes"] / 1e6, rel=0.01)
        for block in ("latency_ms", "ttfb_ms", "sending_ms", "waiting_ms", "completion_ms"):
            d = r[block]
            assert DIST <= d.keys(), block
            assert 0 < d["p50"] <= d["p90"] <= d["p99"] <= d["p999"] <= d["max"] * 1.001
        # TTFB = sending + waiting, per request, so the medians are close
        assert r["ttfb_ms"]["p50"] <= r["latency_ms"]["p50"]
        assert r["sending_ms"]["p50"] <= r["ttfb_ms"]["p50"]
        assert r["server"]["rss_peak_mb"] >= r["server"]["rss_mean_mb"] > 10
        assert r["server"]["cpu_mean_pct"] is not None
        assert set(r["client"]) >= {"cpu_mean_pct", "saturated"}
        c = r["conditions"]  # the level's CPU against the CPUs each side had
        assert c["server_cpu_pct"] == r["server"]["cpu_mean_pct"]
        assert c["client_cpu_pct"] == r["client"]["cpu_mean_pct"]
        assert c["server_cpus"] >= 1 and c["client_cpus"] >= 1 and c["cpus"] == len(
            doc["environment"]["cpu_affinity"])
        assert c["shared"] == (doc["pinning"]["target"] is None)
        assert c["machine_cpu_pct"] is not None or not c["shared"]
        assert c["saturated"] == bool(c["saturated_by"])
        integ = r["integrity"]
        assert integ["acknowledged"] >= r["requests"] - r["failures"]
        assert integ["lost"] == 0 and integ["corrupt"] == 0
        assert integ["verified"] == integ["acknowledged"]  # sha256 echoed for every upload
        if r["scenario"] == "mixed":
            assert DIST <= r["bystander_ms"].keys()
        else:
            assert r["bystander_ms"] is None

    assert {v["seed"] for v in doc["verdicts"]} and all(
        {"claim", "seed", "holds", "evidence"} <= v.keys() for v in doc["verdicts"])
    samples = list((run_dir / "samples").rglob("samples-*.csv"))
    assert len(samples) == len(doc["results"])


def test_a_run_writes_only_declared_keys(run_dir):
    """upbench/records.py declares every key a level, verify and the judge write."""
    from tests.test_records import undeclared_keys

    assert undeclared_keys(json.loads((run_dir / "results.json").read_text())) == []


def test_report_is_rendered_and_can_be_rerendered(run_dir):
    html = (run_dir / "index.html").read_text()
    assert html.count("data:image/png;base64,") >= 4
    assert 'id="verdicts"' in html and "flask-stream" in html
    # a sweep judges no claim: the report says so and how to judge them (never a verdict
    # from single levels)
    assert "No claim was judged in this run" in html and 'id="verdict-table"' not in html
    doc = json.loads((run_dir / "results.json").read_text())
    assert {v["verdict"] for v in doc["verdicts"]} == {"not measured"}
    (run_dir / "index.html").unlink()
    result = subprocess.run([sys.executable, "bench.py", "report", str(run_dir / "results.json")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (run_dir / "index.html").read_text().count("data:image/png;base64,") >= 4
