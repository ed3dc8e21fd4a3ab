"""The numbers are right: calibration against a server with known delays, open loop through a
pause, slow clients, a crash, resumable uploads with cut connections, and `--url`.

Each test drives the real pipeline (`bench.py run`: Locust subprocess, raw samples, HDR
aggregation) and reads results.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import listening, wait_until
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port

pytestmark = pytest.mark.slow  # each test a Locust run against a real server

REPO = Path(__file__).resolve().parent.parent
TIMED = REPO / "tests" / "apps" / "timed_server.py"


@pytest.fixture
def timed_server(tmp_path):
    started = []

    def start(*args: str) -> str:
        port = free_port()
        proc = processes.start([sys.executable, str(TIMED), str(port), *args],
                               log=tmp_path / "timed.log")
        started.append(proc)
        wait_until(lambda: listening(port), what="timed server")
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        processes.stop(proc)


def bench_run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "bench.py", "run", "--out", str(out), "--quiet",
                             *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def test_timing_split_matches_injected_delays(timed_server, tmp_path):
    """80 ms before the headers, 40 ms between headers and body: waiting ≈ 80 ms,
    latency − TTFB ≈ 40 ms, TTFB ≈ sending + waiting."""
    url = timed_server("--before-headers-ms", "80", "--before-body-ms", "40")
    doc = bench_run(tmp_path, "--url", url + "/upload", "--name", "timed", "--sizes", "16KB",
                    "--users", "2", "--duration", "3s", "--warmup", "500ms",
                    "--scenarios", "upload")
    [r] = doc["results"]
    assert r["target"] == "timed" and r["failures"] == 0 and r["requests"] >= 20
    assert r["waiting_ms"]["p50"] == pytest.approx(80, abs=5)
    assert r["latency_ms"]["p50"] - r["ttfb_ms"]["p50"] == pytest.approx(40, abs=5)
    assert r["ttfb_ms"]["p50"] == pytest.approx(r["sending_ms"]["p50"] + 80, abs=5)
    assert r["sending_ms"]["p50"] < 5
    assert r["server"]["rss_peak_mb"] is None and r["notes"]  # anyone's endpoint: not sampled
    assert r["completion_ms"]["p50"] == r["latency_ms"]["p50"]  # 2xx, no status endpoint


def test_closed_loop_users_stop_with_the_run(timed_server, tmp_path):
    """Closed-loop users upload from OS threads in slices longer than this run's tail: when
    Locust stops them, no upload may start after the run time (the thread must notice)."""
    from loadtests.samples import read_samples

    url = timed_server("--before-headers-ms", "150")
    bench_run(tmp_path, "--url", url + "/upload", "--name", "timed", "--sizes", "8KB",
              "--users", "3", "--duration", "3s", "--warmup", "0", "--scenarios", "upload")
    [folder] = (tmp_path / "run" / "samples" / "timed").iterdir()
    samples = read_samples(folder)
    first = min(s["start"] for s in samples)
    assert len(samples) >= 3 * 10 and all(s["error"] is None for s in samples)
    assert max(s["start"] for s in samples) < first + 3 + 0.3
    assert len({s["user"] for s in samples}) == 3


def test_paced_uploads_show_as_sending_time(timed_server, tmp_path):
    """The slow scenario at 1 MB/s: a 400 KB body takes ≈ 400 ms to send."""
    url = timed_server()
    doc = bench_run(tmp_path, "--url", url + "/upload", "--sizes", "400KB", "--users", "2",
                    "--duration", "3s", "--warmup", "0", "--scenarios", "slow",
                    "--bandwidth", "1MB")
    [r] = doc["results"]
    assert r["sending_ms"]["p50"] == pytest.approx(400, abs=40)
    assert r["waiting_ms"]["p50"] < 20


def test_open_loop_shows_a_pause_and_keeps_the_rate(timed_server, tmp_path):
    """The server stalls 0.8 s of every 2.5 s. Open loop at 20/s must still issue ≈ 20/s and
    its p99 must show the stall (a closed loop would hide it by waiting)."""
    url = timed_server("--pause-every", "2.5", "--pause-for", "0.8")
    doc = bench_run(tmp_path, "--url", url + "/upload", "--sizes", "8KB", "--rate", "20",
                    "--duration", "5s", "--warmup", "0", "--scenarios", "upload")
    [r] = doc["results"]
    assert r["load"] == {"model": "open", "users": None, "rate": 20.0}
    assert r["requests"] == pytest.approx(20 * 5, abs=1)  # the timetable: rate x duration
    assert r["failures"] == 0
    assert r["latency_ms"]["p99"] > 500
    assert r["latency_ms"]["p50"] < 100  # most requests are not in a pause
    ol = r["open_loop"]
    assert ol["scheduled"] == r["requests"] and ol["dropped"] == 0


def test_url_endpoint_without_optional_routes(timed_server, tmp_path):
    url = timed_server()
    result = subprocess.run([sys.executable, "bench.py", "run", "--url", url + "/anything",
                             "--scenarios", "upload,mixed", "--sizes", "4KB", "--users", "1",
                             "--duration", "2s", "--warmup", "0", "--out", str(tmp_path / "o")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "scenario 'mixed' needs /health; skipped" in result.stderr
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert doc["verify"][0]["ok"]
    [r] = doc["results"]
    assert r["scenario"] == "upload" and r["requests"] > 0 and r["failures"] == 0
    assert r["integrity"]["acknowledged"] == r["requests"] and r["integrity"]["verified"] == 0


def test_crash_of_flask_sync_loses_nothing(tmp_path):
    doc = bench_run(tmp_path, "--targets", "flask-sync", "--scenarios", "crash", "--sizes",
                    "64KB", "--users", "4", "--duration", "4s", "--warmup", "0")
    [r] = doc["results"]
    assert r["crash"]["downtime_s"] > 0
    integ = r["integrity"]
    assert integ["acknowledged"] > 20
    assert integ["lost"] == 0 and integ["corrupt"] == 0


def test_resumable_uploads_survive_cut_connections(tmp_path):
    doc = bench_run(tmp_path, "--targets", "resumable", "--scenarios", "resumable", "--sizes",
                    "3MB", "--chunk-size", "1MB", "--drop-rate", "0.3", "--users", "2",
                    "--duration", "3s", "--warmup", "0")
    [r] = doc["results"]
    assert r["failures"] == 0 and r["requests"] > 3
    assert r["resume"]["drops"] > 0
    assert r["resume"]["completed_after_drop"] > 0
    assert r["integrity"]["lost"] == 0 and r["integrity"]["corrupt"] == 0
    assert r["integrity"]["verified"] == r["integrity"]["acknowledged"]


def test_plain_posts_retried_from_zero_resend_what_was_cut(tmp_path):
    """The control of the resumable scenario: the same drops on one plain POST per upload;
    every cut costs the bytes sent before it, and the upload starts over."""
    doc = bench_run(tmp_path, "--targets", "resumable", "--scenarios", "retry-from-zero",
                    "--sizes", "3MB", "--chunk-size", "1MB", "--drop-rate", "0.3",
                    "--retry-delays", ",".join(["0"] * 14), "--users", "2", "--duration", "3s",
                    "--warmup", "0")
    [r] = doc["results"]
    resume = r["resume"]
    assert r["requests"] > 3 and resume["drops"] > 0 and resume["bytes_resent"] > 0
    assert resume["bytes_sent_per_upload"] > 3_000_000  # what arrived, and what was cut
    assert r["integrity"]["lost"] == 0 and r["integrity"]["corrupt"] == 0
    assert r["integrity"]["verified"] == r["integrity"]["acknowledged"] > 0


def test_two_locust_processes_make_one_merged_result(tmp_path):
    """--processes 2: Locust's own master/worker mode; each worker streams its samples to the
    master over Locust's messages, the master writes one file per worker, and the level's
    result merges them, with the machine's figures (2 processes, their CPU, clock offset)."""
    doc = bench_run(tmp_path, "--targets", "fastapi-stream", "--scenarios", "upload", "--sizes",
                    "16KB", "--users", "4", "--duration", "3s", "--warmup", "0",
                    "--processes", "2")
    [r] = doc["results"]
    files = list((tmp_path / "run" / "samples").rglob("samples-*.csv"))
    assert len(files) == 2  # one per worker process, none from the master
    per_file = [sum(1 for _ in open(f)) - 1 for f in files]
    assert all(n > 0 for n in per_file)
    assert r["integrity"]["acknowledged"] == sum(per_file)
    assert r["client"]["processes"] == 2 and r["failures"] == 0
    [machine] = r["workers"]
    assert machine["processes"] == 2 and machine["dropped"] == 0 and machine["share"] == 1
    assert machine["uploads"] == sum(per_file) and machine["cpu_mean_pct"] is not None
    assert abs(machine["clock_offset_ms"]) < 1000  # one clock: the estimate is near zero


def test_resumable_against_a_tus_server_known_only_by_url(tmp_path):
    """`--url` + `--scenarios resumable`: the URL is a tus creation endpoint, verified with the
    tus protocol itself (no multipart POST), and nothing but tus is assumed of it."""
    from upbench import registry
    from upbench.lifecycle.server import ServerOptions, serve

    with serve(registry.discover()["resumable"], ServerOptions(), tmp_path / "logs") as tus:
        doc = bench_run(tmp_path, "--url", tus.url + "/files/", "--scenarios", "resumable",
                        "--sizes", "2MB", "--chunk-size", "1MB", "--users", "2",
                        "--duration", "3s", "--warmup", "0")
    [check] = doc["verify"]
    assert check["ok"] and {c["name"] for c in check["checks"]} >= {"tus: create",
                                                                     "tus: offset mismatch is 409"}
    [r] = doc["results"]
    assert r["requests"] > 3 and r["failures"] == 0 and r["resume"]["drops"] > 0
