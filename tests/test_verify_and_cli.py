"""`bench.py verify`, usage errors, and process hygiene — through the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.helpers import interrupt_and_check_tree, wait_until
from upbench.lifecycle.server import ServerOptions, serve
from upbench.registry import Target
from upbench.run.subject import Subject
from upbench.run.verify import verify

REPO = Path(__file__).resolve().parent.parent


def bench(*args, timeout=120, **kw):
    return subprocess.run([sys.executable, "bench.py", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, **kw)


@pytest.mark.slow
def test_verify_passes_for_the_skeleton_targets():
    result = bench("verify", "flask-sync", "flask-stream")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  flask-sync" in result.stdout and "PASS  flask-stream" in result.stdout


def test_verify_catches_a_lying_server(tmp_path):
    liar = Target(name="liar", seeds=(), summary="wrong digests", app="tests.apps.liar:app")
    with serve(liar, ServerOptions(), tmp_path) as running:
        result = verify(Subject.of(running))
    failed = {c["name"] for c in result["checks"] if not c["ok"]}
    assert not result["ok"]
    assert "upload 1024 B: sha256" in failed and "upload 1024 B: bytes echoed" in failed
    assert "upload 1024 B: bytes in storage" not in failed  # the bytes themselves are right


def test_a_target_that_cannot_start_is_reported(tmp_path):
    broken = Target(name="broken", seeds=(), summary="import error", app="tests.apps.nope:app")
    from upbench.lifecycle.processes import StartError
    with pytest.raises(StartError, match="exited"), serve(broken, ServerOptions(), tmp_path):
        pass


@pytest.mark.parametrize("args, message", [
    (["run", "--targets", "nope"], "unknown target(s): nope"),
    (["run", "--sizes", "12XB"], "bad size '12XB'"),
    (["run", "--duration", "soon"], "bad duration 'soon'"),
    (["run", "--users", "0"], "must be at least 1"),
    (["run", "--scenarios", "dance"], "unknown scenario(s): dance"),
    (["run", "--work", "magic"], "bad work 'magic'"),
    (["run", "--users", "2", "--rate", "5"], "not allowed with argument"),
    (["run", "--sizes", "2GiB"], "above --max-upload"),
    (["run", "--url", "ftp://x"], "expected an http:// or https:// URL"),
    (["report", "/nonexistent/results.json"], "no such file"),
    (["serve", "nope"], "unknown target(s): nope"),
    (["frobnicate"], "invalid choice"),
    (["run", "--out", "/etc/passwd/x"], "cannot create that folder"),
])
def test_usage_errors_are_one_line_and_exit_2(args, message):
    result = bench(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_shows_targets_and_scenarios():
    out = bench("list").stdout
    for name in ("flask-sync", "flask-stream", "upload", "mixed", "slow"):
        assert name in out


@pytest.mark.slow  # a run interrupted
def test_ctrl_c_during_a_run_leaves_nothing_running(tmp_path):
    proc = subprocess.Popen([sys.executable, "bench.py", "run", "--targets", "flask-sync",
                             "--sizes", "16KB", "--users", "2", "--duration", "30s",
                             "--out", str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: list((tmp_path / "samples").rglob("samples-*.csv")), timeout=60,
                   what="load to start")
        interrupt_and_check_tree(proc, ("gunicorn", "locust"))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0


def test_serve_runs_in_the_foreground_and_stops_cleanly(tmp_path):
    proc = subprocess.Popen([sys.executable, "bench.py", "serve", "flask-stream", "--data-dir",
                             str(tmp_path / "data"), "--max-upload", "1MB"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "flask-stream on http://127.0.0.1:" in line
        url = line.split(" on ")[1].split()[0]
        from loadtests.http import Connection
        from loadtests.payload import Payload
        from loadtests.upload import post_upload
        ex, reply = post_upload(Connection(url), "/upload", Payload(2_000_000).unique(), "x")
        assert ex.status == 413
        tree = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
