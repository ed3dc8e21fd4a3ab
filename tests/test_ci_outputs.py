"""What CI systems read: `--junit FILE` (read back with junitparser, the parser GitLab- and
Jenkins-style tooling in Python uses), the GitHub job summary, Locust's own CSVs (`--csv`) and
`--repeat N` sweeps."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

from tests.helpers import wait_until
from tests.test_compare import repeated
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.reporting import junit

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "results-golden.json"
TIMED = REPO / "tests" / "apps" / "timed_server.py"


def suites(path: Path) -> dict:
    return {s.name: {c.name: c for c in s} for s in JUnitXml.fromfile(str(path))}


def outcome(case) -> str:
    kinds = {type(r) for r in case.result}
    return "failed" if Failure in kinds else "skipped" if Skipped in kinds else "passed"


def test_a_claims_run_against_its_own_baseline_passes_and_a_changed_verdict_fails(tmp_path):
    doc = json.loads(GOLDEN.read_text())
    old = copy.deepcopy(doc)
    flipped = old["verdicts"][0]
    flipped["verdict"], flipped["holds"] = "does not hold", False
    damaged = next(r for r in doc["results"] if r["target"] == "flask-sync")
    damaged["integrity"]["lost"] = 3
    junit.write(junit.run_suites(doc, baseline=old), tmp_path / "j.xml")
    read = suites(tmp_path / "j.xml")
    assert set(read) == {"verify", "levels", "claims"}
    assert len(read["levels"]) == len(doc["results"])
    assert len(read["claims"]) == len(doc["verdicts"])
    failed = [name for name, c in read["levels"].items() if outcome(c) == "failed"]
    assert failed == [junit.level_name(damaged)]
    assert "3 lost upload(s)" in read["levels"][failed[0]].result[0].text
    claims = {name: outcome(c) for name, c in read["claims"].items()}
    assert claims.pop(doc["verdicts"][0]["id"]) == "failed"
    assert set(claims.values()) == {"passed"}
    junit.write(junit.run_suites(doc, baseline=doc), tmp_path / "same.xml")
    assert {outcome(c) for c in suites(tmp_path / "same.xml")["claims"].values()} == {"passed"}


@pytest.mark.parametrize("new_p95, failed", [([101, 99, 100], False), ([160, 158, 166], True)])
def test_compare_writes_one_testcase_per_gate(tmp_path, new_p95, failed):
    (tmp_path / "old.json").write_text(json.dumps(repeated([100, 104, 97])))
    (tmp_path / "new.json").write_text(json.dumps(repeated(new_p95)))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = subprocess.run([sys.executable, "bench.py", "compare", str(tmp_path / "old.json"),
                          str(tmp_path / "new.json"), "--fail-on", "p95:10%,mbps:-50%",
                          "--junit", str(tmp_path / "j.xml")], cwd=REPO, capture_output=True,
                         text=True, timeout=60, env=_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert out.returncode == int(failed), out.stderr
    gates = {name: outcome(c) for name, c in suites(tmp_path / "j.xml")["gates"].items()}
    assert gates == {"p95:+10%": "failed" if failed else "passed", "mbps:-50%": "passed"}
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert ("1 limit(s) crossed" if failed else "no limit crossed") in text


@pytest.mark.parametrize("args", [["--baseline", str(GOLDEN)], ["--junit", "{tmp}"],
                                  ["--junit", "{tmp}/j.xml", "--baseline", "{tmp}/no.json"],
                                  ["--repeat", "0"]])
def test_bad_ci_flags_are_one_line_usage_errors(args, tmp_path, capsys, monkeypatch):
    from upbench.cli import EXIT_USAGE, main

    monkeypatch.setattr(processes, "install_handlers", lambda: None)  # pytest keeps its own

    argv = ["run", "--url", "http://127.0.0.1:9/upload",
            *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench.py: error:"), err


@pytest.fixture
def flaky_endpoint(tmp_path):
    """A sink that answers 200 to verify's uploads and 404 to everything after."""
    port = free_port()
    log = tmp_path / "server.log"
    proc = processes.start([sys.executable, str(TIMED), str(port), "--status", "404",
                            "--after", "3"], log=log)
    wait_until(lambda: "listening" in log.read_text(), what="the sink")
    yield f"http://127.0.0.1:{port}/upload"
    processes.stop(proc)


def test_a_repeated_run_with_failing_levels_in_junit_summary_and_locust_csvs(flaky_endpoint,
                                                                              tmp_path):
    out, summary = tmp_path / "run", tmp_path / "summary.md"
    run = subprocess.run([sys.executable, "bench.py", "run", "--url", flaky_endpoint,
                          "--name", "gone", "--scenarios", "upload", "--sizes", "16KB",
                          "--users", "1", "--duration", "1s", "--warmup", "0", "--repeat", "2",
                          "--csv", "--junit", str(tmp_path / "junit.xml"), "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=180,
                         env=_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())["results"]
    assert [r["repetition"] for r in results] == [1, 2]
    levels = suites(tmp_path / "junit.xml")["levels"]
    assert list(levels) == ["gone upload 16KB 1u #1", "gone upload 16KB 1u #2"]
    for case in levels.values():
        assert outcome(case) == "failed"
        assert "404 Not Found on /upload" in case.result[0].message
    table = summary.read_text()
    assert "| gone | upload | 16KB | 1u | 2 |" in table and "404 Not Found" in table
    for rep in (1, 2):  # Locust's own files, one set per level
        stats = out / "csv" / "gone" / f"upload-16KB-1u-rep{rep}_stats.csv"
        assert "Request Count" in stats.read_text().splitlines()[0]


def _env(**extra: str) -> dict:
    return {**os.environ, **extra}


@pytest.mark.slow
def test_repeat_interleaves_targets_a_b_then_b_a(tmp_path):
    out = tmp_path / "run"
    run = subprocess.run([sys.executable, "bench.py", "run", "--targets",
                          "flask-stream,fastapi-stream", "--scenarios", "upload", "--sizes",
                          "16KB", "--users", "1", "--duration", "1s", "--warmup", "0",
                          "--repeat", "2", "--quiet", "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())["results"]
    order = [(r["repetition"], r["target"]) for r in results]
    first, second = order[0][1], order[1][1]
    assert order == [(1, first), (1, second), (2, second), (2, first)]
    assert all(r["failures"] == 0 and r["requests"] > 0 for r in results)
