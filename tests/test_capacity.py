"""`bench.py capacity`: the search's decision rules on synthetic levels (both ways), the
sustain rule on synthetic samples, compare and report of capacities, and three live known
truths: a server with N slots of S ms (throughput limit N/S exactly), a 202 server whose
worker completes 5 uploads/s behind fast acks, and a server that never breaks the SLO below
--max-rate.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import listening, wait_until
from upbench import cli
from upbench.config import SearchPlan, Slo
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.measure import sustain
from upbench.plans import parse_slo
from upbench.records import Capacity, undeclared
from upbench.reporting import capacity as report
from upbench.reporting import compare
from upbench.run.capacity_search import Search, judge_rate

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "tests" / "apps"


# --- the objectives at the argparse boundary ------------------------------------------------

def test_slo_parses_metric_percentile_and_limit():
    assert parse_slo("p99<1s") == Slo("latency", "p99", 1000.0)
    assert parse_slo("completion p99 < 30s") == Slo("completion", "p99", 30000.0)
    assert str(parse_slo("ttfb p95<200ms")) == "ttfb p95<200ms"
    for bad in ("p99>1s", "p98<1s", "size p99<1s", "p99<soon", "p99"):
        with pytest.raises(ValueError, match="bad --slo"):
            parse_slo(bad)


@pytest.mark.parametrize("argv, message", [
    (["--slo", "p99<xx"], "bad --slo 'p99<xx'"),
    ([], "required: --slo"),
    (["--slo", "p99<1s", "--targets", "nope"], "unknown target"),
    (["--slo", "p99<1s", "--resolution", "0%"], "bad --resolution"),
    (["--slo", "p99<1s", "--status-url", "/x/{id}"], "only appl"),
])
def test_bad_capacity_usage_is_one_line_and_exit_2(argv, message, capsys):
    assert cli.main(["capacity", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


# --- the search, on levels whose truth is known ---------------------------------------------

def knee(capacity: float, noise: float = 0.05, seed: int = 1, lag_from: float | None = None):
    """A target whose margin is 0.5 (rate / capacity)^6 times log-normal noise: its true
    capacity under the rule "margin <= 1" is capacity * 2^(1/6)."""
    rng = random.Random(seed)

    def measure(rate: float) -> dict:
        margin = 0.5 * (rate / capacity) ** 6 * math.exp(rng.gauss(0, noise))
        over = margin > 1
        return {"sustained": not over, "margin": margin, "failed": "p99" if over else None,
                "why": f"p99 {margin:.2f} x the limit" if over else None,
                "generator": ("fell behind" if lag_from and rate >= lag_from else None)}
    return measure


@pytest.mark.parametrize("capacity", [0.8, 7.0, 42.0, 300.0])
def test_search_brackets_a_known_knee(capacity):
    truth = capacity * 2 ** (1 / 6)
    found = Search(SearchPlan(), knee(capacity)).run()
    lo, hi = found["interval"]
    assert found["bound"] == "slo" and found["decided"]
    assert lo <= truth <= hi and hi / lo <= 1.1 ** 2  # one resolution step, at most two
    assert lo <= found["rate"] <= hi
    assert "repetitions" in found["why"] and f"{hi:g}/s" in found["why"]
    assert len(found["levels"]) <= SearchPlan().max_levels


def test_repetitions_that_disagree_leave_a_rate_inconclusive():
    def level(margin):
        return {"rate": 10.0, "margin": margin, "sustained": margin <= 1}

    assert judge_rate([level(0.3), level(0.32), level(0.29)])["verdict"] == "sustained"
    assert judge_rate([level(3.0), level(2.6)])["verdict"] == "over"
    assert judge_rate([level(0.3), level(1.4), level(0.35)])["verdict"] == "inconclusive"
    assert judge_rate([level(0.9), level(0.2)])["verdict"] == "inconclusive"  # wide: df = 1
    assert judge_rate([level(0.3)])["verdict"] == "inconclusive"  # one level is no verdict


def test_noise_beyond_the_caps_is_not_decided():
    found = Search(SearchPlan(max_levels=12), knee(40.0, noise=1.5, seed=3)).run()
    assert not found["decided"] and found["why"].startswith("not decided")
    assert len(found["levels"]) == 12
    assert report.headline(found | {"target": "t", "slo": ["p99<1s"]}).startswith("t: ~")


def test_generator_bound_is_never_a_capacity():
    found = Search(SearchPlan(), knee(100.0, lag_from=60.0)).run()
    assert found["bound"] == "generator" and not found["decided"]
    assert found["interval"] == [32.0, None] and found["rate"] == 32.0
    assert "fell behind" in found["why"]
    line = report.headline(found | {"target": "t", "slo": ["p99<1s"]})
    assert line.startswith("t: ≥ 32 uploads/s (load generator bound")


def test_max_rate_sustained_says_at_least_max_rate():
    found = Search(SearchPlan(max_rate=50.0), knee(100.0)).run()
    assert found["bound"] == "max-rate" and found["decided"]
    assert found["interval"] == [50.0, None]
    flips = iter(range(100))

    def flaky_at_max(rate):  # 50/s fails every other time: no "≥ 50"
        over = rate >= 50 and next(flips) % 2 == 1
        return {"sustained": not over, "margin": 2.0 if over else 0.2, "generator": None,
                "failed": "p99" if over else None, "why": "p99" if over else None}

    found = Search(SearchPlan(max_rate=50.0), flaky_at_max).run()
    assert found["bound"] == "slo" and not found["decided"]
    assert found["interval"] == [45.5, None] and "was not sustained" in found["why"]


def test_nothing_sustained_down_to_the_floor():
    found = Search(SearchPlan(start=4.0, min_rate=0.5), knee(0.1)).run()
    assert found["interval"][0] == 0.0 and found["interval"][1] == 0.5
    assert found["why"].startswith("no rate down to")


# --- the sustain rule -------------------------------------------------------------------------

def samples(rate: float, per_second: float, seconds: float = 3.0) -> list[dict]:
    """Open-loop arrivals at `rate` into one FIFO worker of `per_second` (D/D/1)."""
    out, free = [], 0.0
    for i in range(int(rate * seconds)):
        start = 1000.0 + i / rate
        free = max(free, start) + 1 / per_second
        out.append({"kind": "upload", "start": start, "end": start + 0.002, "done": free,
                    "error": None})
    return out


def test_backlog_slope_tells_a_growing_queue_from_a_busy_one():
    stable = sustain.backlog(samples(4.5, 5.0), 3.0, 0.5)
    growing = sustain.backlog(samples(8.0, 5.0), 3.0, 0.5)
    assert stable["slope"] == pytest.approx(0.0, abs=0.01)
    assert growing["slope"] == pytest.approx(8 / 5 - 1, abs=0.05)  # (λ − μ) / μ
    assert growing["end"] > growing["start"]
    result = {"requests": 24, "failures": 0, "latency_ms": {"p99": 3.0},
              "completion_ms": {"p99": 900.0}}
    slos = [parse_slo("p99<500ms")]
    assert sustain.judge(result, slos, stable)["sustained"]
    over = sustain.judge(result, slos, growing)
    assert not over["sustained"] and over["failed"] == "backlog"  # fast acks, growing queue
    assert growing["ack_slope"] == pytest.approx(0.0, abs=0.01)
    assert "the work behind fast acks falls behind" in over["why"]


def test_failures_and_slo_decide_a_level():
    slos = [parse_slo("p99<500ms"), parse_slo("completion p99<2s")]
    ok = {"requests": 200, "failures": 2, "latency_ms": {"p99": 400.0},
          "completion_ms": {"p99": 1900.0}}
    assert sustain.judge(ok, slos, None)["sustained"]  # 1 % failures is allowed
    failed = sustain.judge(ok | {"failures": 3}, slos, None)
    assert not failed["sustained"] and failed["failed"] == "failures"
    late = sustain.judge(ok | {"completion_ms": {"p99": 2500.0}}, slos, None)
    assert late["failed"] == "completion p99<2s" and "completion p99 2.50 s > 2.00 s" in late["why"]
    lag = {"requests": 10, "client": {}, "open_loop": {"start_delay_ms": {"p95": 80.0}}}
    assert "fell behind" in sustain.generator_lag(lag)
    short = {"requests": 26, "load": {"rate": 19.0}, "open_loop": {}}  # Locust stopped early
    assert "stopped early: 26 of the timetable's 48" in sustain.generator_lag(short, 2.5)
    assert sustain.generator_lag(short | {"requests": 47}, 2.5) is None


# --- compare and report read the stored records ---------------------------------------------

def doc(rate: float, lo: float, hi: float | None, bound: str = "slo") -> dict:
    return {"results": [], "verdicts": [], "capacity": [
        {"target": "flask-sync", "rate": rate, "interval": [lo, hi], "bound": bound,
         "decided": True, "slo": ["p99<500ms"], "size_bytes": 1000000, "work": "sha256",
         "levels": [], "why": "at x/s: p99"}]}


def test_compare_gates_a_capacity_drop_beyond_noise_only():
    limit = compare.parse_thresholds("capacity:-10%")
    lines, failing = compare.compare(doc(42, 38, 45), doc(30, 28, 33), limit)
    assert failing and "beyond noise" in failing[0]
    lines, failing = compare.compare(doc(42, 38, 45), doc(37, 33, 40), limit)
    assert not failing and "within noise" in "\n".join(lines)  # overlapping intervals
    lines, failing = compare.compare(doc(50, 50, None, "max-rate"), doc(30, 28, 33), limit)
    assert failing  # under the old "≥ 50" altogether
    undecided = doc(30, 28, 33)
    undecided["capacity"][0]["decided"] = False
    lines, failing = compare.compare(doc(42, 38, 45), undecided, limit)
    assert not failing and "not gated" in "\n".join(lines)  # a bracket is no interval
    lines, failing = compare.compare(doc(42, 38, 45), doc(60, 55, 66), limit)
    assert not failing and "beyond noise" in "\n".join(lines)  # a rise is no regression
    with pytest.raises(ValueError, match="unknown metric"):
        compare.parse_thresholds("capacty:-10%")


def test_report_draws_each_targets_curves_and_knee():
    def with_figures(measure):
        def wrapped(rate):
            level = measure(rate)
            ms = 50 * level["margin"]
            return level | {"latency_ms": {"p50": ms / 2, "p99": ms},
                            "completion_ms": {"p50": ms / 2, "p99": ms},
                            "achieved_rps": min(rate, 40.0)}
        return wrapped

    records = []
    for target, cap in (("flask-sync", 20.0), ("queued", 6.0)):
        found = Search(SearchPlan(), with_figures(knee(cap))).run()
        records.append(found | {"target": target, "slo": ["p99<500ms"], "at": None,
                                "risk": {"text": "stored before the answer"}})
    stored = {"config": {"work": "sha256", "duration": 3.0}, "results": [],
              "capacity_plan": {"size_bytes": 1000000, "slo": ["p99<500ms"]},
              "capacity": records}
    fig = report.figure(stored, ["flask-sync", "queued"])
    assert {m["target"] for m in fig["meta"]["marks"]} == {"flask-sync", "queued"}
    for mark, record in zip(fig["meta"]["marks"], records, strict=True):
        assert mark["interval"] == record["interval"] and mark["rate"] == record["rate"]
    lines = {(line["label"], line["color"]) for line in fig["meta"]["lines"]}
    assert len({color for _, color in lines}) == 2  # one colour per target
    assert [r["target"] for r in report.rows(stored)] == ["flask-sync", "queued"]  # ranked
    text = "\n".join(report.table_lines(stored))
    assert "95 %" not in text and "flask-sync" in text and "stored before the answer" in text


# --- live known truths ------------------------------------------------------------------------

@pytest.fixture
def app_server(tmp_path):
    started = []

    def start(script: str, *args: str) -> str:
        port = free_port()
        proc = processes.start([sys.executable, str(APPS / script), str(port), *args],
                               log=tmp_path / f"{script}.log")
        started.append(proc)
        wait_until(lambda: listening(port), what=script)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        processes.stop(proc)


def capacity_run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "cap"
    done = subprocess.run([sys.executable, "bench.py", "capacity", "--quick", "--size", "8KB",
                           "--no-verify", "--out", str(out), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "uploads/s" in done.stdout and "repetition 1" in done.stderr  # table, progress
    [record] = json.loads((out / "results.json").read_text())["capacity"]
    assert undeclared(record, Capacity) == []
    return record


@pytest.mark.slow
def test_slots_server_capacity_is_its_throughput_limit(app_server, tmp_path):
    """2 slots of 100 ms: μ = 20/s exactly. Locust's open loop is a timetable (deterministic
    arrivals), so this is D/D/2: below μ nothing waits (latency = 100 ms, far under the SLO
    of 400 ms); above μ the backlog grows by λ − μ per second, each upload waiting
    (λ − μ)/μ s longer per second, which the backlog rule calls over from 1.05 μ (5 %) on.
    The knee therefore lies in [μ, 1.05 μ]; the timetable's jitter on a shared machine can
    queue a little just below μ (M/D/c-like waits as ρ → 1), and the quick search resolves
    to 20 %: the estimate must fall in [0.85 μ, 1.15 μ] and its interval overlap [μ, 1.05 μ]."""
    url = app_server("timed_server.py", "--slots", "2", "--before-headers-ms", "100")
    c = capacity_run(tmp_path, "--url", url + "/upload", "--slo", "p99<400ms",
                     "--start-rate", "16")
    lo, hi = c["interval"]
    assert c["bound"] == "slo" and c["decided"], c["why"]
    assert 0.85 * 20 <= c["rate"] <= 1.15 * 20
    assert lo <= 1.05 * 20 and hi >= 20


def test_202_server_capacity_is_its_worker_not_its_acks(app_server, tmp_path):
    """Acks in ~ms at any rate; one worker completes 5 uploads/s (D/D/1 behind the ack). Under
    5/s the queue stays empty (completion = 200 ms); above, the backlog grows by λ − 5 per
    second: the rule calls it over from 1.05 × 5 on, whatever the ack latency. ≈ 5/s: the
    estimate in [4.25, 5.75], its acks far under the SLO at the knee."""
    url = app_server("queue_server.py", "--per-second", "5")
    c = capacity_run(tmp_path, "--url", url + "/upload", "--status-url", "/uploads/{id}",
                     "--slo", "p99<500ms", "--slo", "completion p99<5s", "--start-rate", "4")
    assert c["bound"] == "slo" and c["decided"], c["why"]
    assert 4.25 <= c["rate"] <= 5.75
    assert "the work behind fast acks falls behind" in c["why"]  # not the acks' latency
    assert c["at"]["latency_p99_ms"] < 100


def test_never_over_below_max_rate_says_at_least_max_rate(app_server, tmp_path):
    url = app_server("timed_server.py")
    c = capacity_run(tmp_path, "--url", url + "/upload", "--slo", "p99<1s",
                     "--start-rate", "5", "--max-rate", "10", "--duration", "3s")
    assert c["bound"] == "max-rate" and c["interval"] == [10.0, None]
    assert len(c["levels"]) <= 4
    out = tmp_path / "cap"
    done = subprocess.run([sys.executable, "bench.py", "report", str(out / "results.json")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = (out / "index.html").read_text()
    assert 'id="capacity-table"' in page and "≥ 10" in page and 'data-family="capacity"' in page
