#!/usr/bin/env python3
"""Is upbench's load generator as fast as wrk at uploading? (issue: "never the bottleneck")

    python benchmarks/wrk_compare.py [--sizes 1MiB,1KiB] [--users 8] [--duration 6s] [--rounds 6]
                                     [--wrk-threads 1] [--processes 1]

Starts a plain WSGI sink (benchmarks/sink.py on gunicorn, 2 sync workers — the targets'
default capacity) on 127.0.0.1, warms it with one uncounted wrk run per size, then
alternates, round after round, `wrk` (`--wrk-threads`, default 1, N connections) and upbench's
own pipeline (`bench.py run --url`: `--processes` Locust processes, default 1, N users,
multipart uploads of the size, raw samples), both
sending the same request bytes. Prints each round's uploads/s, the generators' CPU per
upload, and the median ratio upbench/wrk. Both share the machine with the sink, so a
generator that burns less CPU leaves more to the server: that is the point of the
comparison. On a small VM the sink's own speed drifts between runs (the same
wrk command ranged 700-2200 uploads/s here), hence alternation and medians over many rounds;
CPU per upload is the steadier figure.
Needs `wrk` (apt-get install wrk); says so and exits 0 when it is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from loadtests.multipart import CONTENT_TYPE, multipart
from loadtests.payload import Payload
from loadtests.units import format_size, parse_duration, parse_size
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.server import wait_ready

REPO = Path(__file__).resolve().parent.parent
WARMUP_S = 3  # a wrk run per size before the rounds

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = {content_type}
wrk.body = {head} .. string.rep("u", {size}) .. {tail}
"""


@contextlib.contextmanager
def running_sink(tmp: Path, workers: int = 2) -> Iterator[str]:
    """The gunicorn sink (benchmarks/sink.py) on a free 127.0.0.1 port, in its own process
    group and always stopped: yields its base URL."""
    base = f"http://127.0.0.1:{free_port()}"
    sink = processes.start([sys.executable, "-m", "gunicorn", "benchmarks.sink:app",
                            "--bind", base.removeprefix("http://"), "--workers", str(workers),
                            "--log-level", "warning"], cwd=REPO, log=tmp / "sink.log")
    try:
        wait_ready(base, sink, tmp / "sink.log")
        yield base
    finally:
        processes.stop(sink)


def wrk_script(size: int) -> str:
    """wrk sends the very request upbench sends: the same multipart framing around `size`
    bytes, so both put the same bytes on the wire. (The sink's cost depends on the body length:
    a body of exactly 1 MiB fills its 1 MiB read in one call, 1 MiB + framing takes two.)"""
    body = Payload(16).unique()
    parts, _ = multipart(body, "u1-1.bin")
    return LUA.format(content_type=json.dumps(CONTENT_TYPE), size=size,
                      head=json.dumps(bytes(parts[0]).decode()),
                      tail=json.dumps(bytes(parts[-1]).decode()))


def run_wrk(url: str, size: int, users: int, duration: float, tmp: Path,
            threads: int = 1) -> tuple[float, float]:
    """wrk's uploads/s and its CPU seconds per upload."""
    script = tmp / f"post-{size}.lua"
    script.write_text(wrk_script(size))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(users), "-d", f"{int(duration)}s",
                          "-s", str(script), url], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done = int(re.search(r"(\d+) requests in", out.stdout).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1)), cpu / max(done, 1)


def run_upbench(url: str, size: int, users: int, duration: float, tmp: Path,
                processes: int = 1) -> dict:
    out = tmp / f"upbench-{size}-{next(_runs)}"
    run = subprocess.run([sys.executable, "bench.py", "run", "--url", url, "--name", "sink",
                          "--processes", str(processes),
                          "--scenarios", "upload", "--sizes", str(size), "--users", str(users),
                          "--duration", f"{duration:g}s", "--warmup", "1s", "--out", str(out),
                          "--quiet"], cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"bench.py run failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    [result] = json.loads((out / "results.json").read_text())["results"]
    return result


_runs = iter(range(10**6))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1MiB,1KiB")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--duration", default="6s")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk -t (default 1)")
    parser.add_argument("--processes", type=int, default=1, help="Locust processes (default 1)")
    args = parser.parse_args()
    if min(args.wrk_threads, args.processes, args.users, args.rounds) < 1:
        parser.exit(2, "wrk_compare.py: --wrk-threads, --processes, --users and --rounds must "
                       "be at least 1\n")
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): nothing to compare against")
        return 0
    duration = parse_duration(args.duration)
    processes.install_handlers()
    with tempfile.TemporaryDirectory() as tmp_name, running_sink(Path(tmp_name)) as base:
        tmp, url = Path(tmp_name), f"{base}/upload"
        for size in (parse_size(s) for s in args.sizes.split(",")):
            # Not counted: a cold sink made every first round slow, and wrk goes first.
            run_wrk(url, size, args.users, WARMUP_S, tmp, args.wrk_threads)
            ratios, cpu_ratios = [], []
            print(f"\n{format_size(size)} uploads, {args.users} concurrent, "
                  f"{duration:g}s per run: wrk -t{args.wrk_threads} against "
                  f"{args.processes} Locust process(es); load average "
                  f"{os.getloadavg()[0]:.2f}")
            print(f"{'round':>5} {'wrk req/s':>10} {'upbench req/s':>14} {'ratio':>6} "
                  f"{'wrk CPU/upload':>15} {'upbench CPU/upload':>19}")
            for i in range(1, args.rounds + 1):
                wrk_rps, wrk_cpu = run_wrk(url, size, args.users, duration, tmp,
                                           args.wrk_threads)
                ours = run_upbench(url, size, args.users, duration, tmp, args.processes)
                rps = ours["throughput"]["rps"]
                # the Locust process's mean CPU over the measured window, per upload
                our_cpu = ours["client"]["cpu_mean_pct"] / 100 / rps if rps else float("nan")
                ratios.append(rps / wrk_rps)
                cpu_ratios.append(our_cpu / wrk_cpu)
                print(f"{i:>5} {wrk_rps:>10.1f} {rps:>14.1f} {rps / wrk_rps:>6.2f} "
                      f"{wrk_cpu * 1e6:>12.0f} us {our_cpu * 1e6:>16.0f} us"
                      + ("  (generator saturated)" if ours["client"]["saturated"] else ""))
            print(f"median ratio upbench/wrk at {format_size(size)}: "
                  f"{statistics.median(ratios):.2f} (uploads/s); "
                  f"CPU per upload {statistics.median(cpu_ratios):.1f}x wrk's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
