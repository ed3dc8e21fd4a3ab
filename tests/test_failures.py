"""Failing uploads: a failing user backs off instead of flooding, and the run says why —
in the progress line, the end-of-run table, results.json and the report — with the top error
and a hint. The summary never calls a level fast when its uploads mostly failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests import failures
from loadtests.failures import Backoff
from tests.helpers import wait_until
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.reporting import findings

REPO = Path(__file__).resolve().parent.parent
TIMED = REPO / "tests" / "apps" / "timed_server.py"


def test_backoff_doubles_to_its_cap_and_a_success_resets_it():
    backoff = Backoff()
    assert backoff.pause == 0
    waits = []
    for _ in range(8):
        backoff.failure()
        waits.append(backoff.pause)
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    backoff.success()
    assert backoff.pause == 0
    backoff.record(False)
    assert backoff.pause == 0.05


@pytest.mark.parametrize("error, status, kind, words", [
    ("http 404", 404, "http 404", "404 Not Found"),
    (None, 413, "http 413", "413 Request Entity Too Large"),
    ("ConnectionRefusedError: [Errno 111] Connection refused", 0, "ConnectionRefusedError",
     "connection refused"),
    ("send: ConnectionRefusedError", 0, "send: ConnectionRefusedError",
     "connection refused while sending"),
    ("tus: stopped at offset 0 of 100", 204, "tus", "tus"),
])
def test_error_kinds_read_as_words(error, status, kind, words):
    assert failures.kind(error, status) == kind
    assert failures.describe(kind) == words


@pytest.mark.parametrize("kind, hint", [
    ("http 404", "is the path right?"), ("http 405", "does that path take POST?"),
    ("http 401", "does it need credentials?"), ("http 413", "upload limit"),
    ("http 415", "multipart/form-data"), ("ConnectionRefusedError", "is the server running"),
    ("send: ConnectionRefusedError", "is the server running"), ("TimeoutError", "in time"),
    ("http 500", "see its log"),
])
def test_hints(kind, hint):
    assert hint in failures.hint(kind)


def test_warning_above_a_few_percent_only():
    assert failures.warning(100, 5, {"http 404": 5}, "/upload") is None  # 5 %: not yet
    assert failures.warning(100, 0, {}, "/upload") is None
    w = failures.warning(100, 97, {"http 404": 90, "ConnectionResetError": 7}, "/upload")
    assert w == {"share": 0.97, "top_error": "http 404", "hint": "is the path right?",
                 "text": "97 % of uploads failed: 404 Not Found on /upload (and 1 other kind "
                         "of error) — is the path right?"}
    none_made = failures.warning(0, 0, {"load generator failed (exit 1): boom": 1}, "/upload")
    assert none_made["text"].startswith("no upload was made: load generator failed")
    crash = failures.warning(50, 10, {"ConnectionRefusedError": 10}, "/upload",
                             expected="expected while the target was killed")
    assert crash["hint"] == "expected while the target was killed"


def _result(target, rps, p50, requests, failed):
    lat = {"p50": p50, "p99": p50 * 2}
    return {"target": target, "scenario": "upload", "size_bytes": 64_000,
            "load": {"model": "closed", "users": 4, "rate": None}, "requests": requests,
            "failures": failed, "errors": {"http 404": failed} if failed else {},
            "throughput": {"rps": rps, "mbps": rps * 0.064}, "latency_ms": lat,
            "completion_ms": lat, "bystander_ms": None, "server": {}, "client": {},
            "integrity": {"lost": 0, "corrupt": 0}}


def test_a_level_that_mostly_failed_is_never_the_fastest():
    """Its few successes (here fast ones) say nothing: it is named as left out instead."""
    doc = {"config": {}, "results": [_result("broken", 900.0, 0.5, 1000, 990),
                                     _result("good", 100.0, 20.0, 100, 0),
                                     _result("fine", 80.0, 25.0, 100, 0)]}
    lines = findings.summarize(doc)
    fastest = next(line for line in lines if line.startswith("Small files"))
    assert "good fastest" in fastest and "broken" not in fastest
    assert any(line.startswith("Left out") and "broken" in line for line in lines)


@pytest.fixture
def gone_server(tmp_path):
    """The timed server answering 404 after the first 3 uploads (verify's): a route that went
    away after the check. Its log has one line per 404, counted server-side."""
    port = free_port()
    log = tmp_path / "server.log"
    proc = processes.start([sys.executable, str(TIMED), str(port), "--status", "404",
                            "--after", "3"], log=log)
    wait_until(lambda: "listening" in log.read_text(), what="the 404 server")
    yield f"http://127.0.0.1:{port}", log
    processes.stop(proc)


@pytest.mark.slow
def test_a_run_against_404s_fails_slowly_and_says_why(gone_server, tmp_path):
    url, log = gone_server
    out = tmp_path / "run"
    users, duration = 2, 3.0
    run = subprocess.run([sys.executable, "bench.py", "run", "--url", url + "/upload",
                          "--name", "gone", "--scenarios", "upload", "--sizes", "16KB",
                          "--users", str(users), "--duration", f"{duration:g}s", "--warmup", "0",
                          "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    [r] = json.loads((out / "results.json").read_text())["results"]
    # the backoff: 0.05 s doubling to 2 s -> at most ~7 attempts per user in 3 s (a tight
    # loop made thousands per second); the server's own count agrees
    served = log.read_text().count("answered 404")
    assert 2 * users <= r["failures"] <= served <= 10 * users, (r["failures"], served)
    assert served / duration < 8
    assert r["failures"] == r["requests"] and r["errors"] == {"http 404": r["failures"]}
    text = "100 % of uploads failed: 404 Not Found on /upload — is the path right?"
    assert r["failure_warning"] == {"share": 1.0, "top_error": "http 404",
                                    "hint": "is the path right?", "text": text}
    progress, table = run.stderr.split("\ntarget ", 1)
    assert text in progress  # the level's progress line, as soon as it ended
    assert f"! gone upload 16KB, {users} users: {text}" in table
    report = (out / "index.html").read_text()
    box = report[report.index('id="failure-warnings"'):report.index('id="summary"')]
    assert "gone" in box and "404 Not Found on /upload — is the path right?" in box
    assert "fastest" not in report  # the only level failed: nothing is called fast
