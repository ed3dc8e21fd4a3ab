#!/usr/bin/env python3
"""How far does upbench's load generator scale with processes, against wrk with as many threads?

    python benchmarks/scaling.py [--processes 1,2,4] [--sizes 1KiB,1MB] [--users 8]
                                 [--duration 5s] [--rounds 2] [--sink-workers N]

Starts the plain WSGI sink (benchmarks/sink.py on gunicorn, --sink-workers, default one per
CPU) on 127.0.0.1. For each size and each process count K, alternates round after round `wrk`
with K threads and K x --users connections and upbench's own pipeline with `--processes K`
(Locust's master and K workers streaming their raw samples to it, K x --users users, the same
multipart request bytes). Prints uploads/s, uploads/s per process, the generators' CPU per
upload, and the median ratio upbench/wrk per K. Everything shares the machine with the sink:
on a machine with fewer cores than K + the sink's workers the figures say how the generators
share CPU, not how they scale — the script prints the CPU count so the reader can tell.
Needs `wrk` (apt-get install wrk); says so and exits 0 when it is missing.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.wrk_compare import run_upbench, running_sink, wrk_script
from loadtests.units import format_size, parse_duration, parse_size
from upbench.lifecycle import processes

REPO = Path(__file__).resolve().parent.parent


def run_wrk(url: str, size: int, threads: int, connections: int, duration: float,
            tmp: Path) -> tuple[float, float]:
    """wrk's uploads/s and its CPU seconds per upload, with `threads` threads."""
    script = tmp / f"post-{size}.lua"
    script.write_text(wrk_script(size))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d",
                          f"{int(duration)}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done = int(re.search(r"(\d+) requests in", out.stdout).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1)), cpu / max(done, 1)


def one_count(url: str, size: int, k: int, users: int, duration: float, rounds: int,
              tmp: Path) -> dict:
    """`rounds` alternations of wrk and upbench at K processes/threads."""
    rows = []
    for _ in range(rounds):
        wrk_rps, wrk_cpu = run_wrk(url, size, k, k * users, duration, tmp)
        ours = run_upbench(url, size, k * users, duration, tmp, k)
        rps = ours["throughput"]["rps"]
        cpu = ours["client"]["cpu_mean_pct"]
        rows.append({"wrk": wrk_rps, "ours": rps, "ratio": rps / wrk_rps,
                     "wrk_cpu_us": wrk_cpu * 1e6,
                     "our_cpu_us": cpu / 100 / rps * 1e6 if rps and cpu else float("nan"),
                     "saturated": ours["client"]["saturated"]})
    medians = {k: statistics.median(r[k] for r in rows)
               for k in ("wrk", "ours", "ratio", "wrk_cpu_us")}
    cpus = [r["our_cpu_us"] for r in rows if r["our_cpu_us"] == r["our_cpu_us"]]  # not nan
    return medians | {"our_cpu_us": statistics.median(cpus) if cpus else None,
                      "saturated": any(r["saturated"] for r in rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default=None,
                        help="process counts, e.g. 1,2,4 (default: powers of 2 up to the CPUs)")
    parser.add_argument("--sizes", default="1KiB,1MB")
    parser.add_argument("--users", type=int, default=8, help="connections per process/thread")
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sink-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): nothing to compare against")
        return 0
    cpus = os.cpu_count() or 1
    counts = ([int(x) for x in args.processes.split(",")] if args.processes else
              [2 ** i for i in range(cpus.bit_length()) if 2 ** i <= cpus])
    duration = parse_duration(args.duration)
    processes.install_handlers()
    print(f"{cpus} CPUs; load average {os.getloadavg()[0]:.1f}; sink: gunicorn, "
          f"{args.sink_workers} sync workers; {args.users} connections per process/thread; "
          f"{duration:g}s per run, median of {args.rounds} alternated rounds")
    with tempfile.TemporaryDirectory() as tmp_name, \
            running_sink(Path(tmp_name), args.sink_workers) as base:
        tmp, url = Path(tmp_name), f"{base}/upload"
        for size in (parse_size(s) for s in args.sizes.split(",")):
            run_wrk(url, size, 1, args.users, 2, tmp)  # warm the sink, not counted
            print(f"\n{format_size(size)} uploads")
            print(f"{'K':>3} {'wrk req/s':>10} {'upbench req/s':>14} {'per process':>12} "
                  f"{'ratio':>6} {'wrk CPU/upload':>15} {'upbench CPU/upload':>19}")
            for k in counts:
                m = one_count(url, size, k, args.users, duration, args.rounds, tmp)
                print(f"{k:>3} {m['wrk']:>10.0f} {m['ours']:>14.0f} {m['ours'] / k:>12.0f} "
                      f"{m['ratio']:>6.2f} {m['wrk_cpu_us']:>12.0f} us "
                      + (f"{m['our_cpu_us']:>16.0f} us" if m["our_cpu_us"] is not None
                         else f"{'-':>19}")
                      + ("  (generator saturated)" if m["saturated"] else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
