"""The load generators of a distributed level, one entry per worker machine.

When Locust runs distributed (`--processes N` here, `run --master` with `bench.py worker`s
elsewhere), its master records what it knew of each worker process (loadtests/relay.py:
`workers.json` beside the samples, one samples file per process). Here those processes are
grouped by machine (host, the address it reached the master from, the `bench.py worker` that
started them) with each one's share of the uploads, its CPU, whether it saturated, its clock
offset, and whether it dropped out mid-level (its samples up to then are kept)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from loadtests.samples import read_sample_file, read_workers
from upbench.measure.integrity import acknowledged
from upbench.records import WorkerFigures

SATURATED_PCT = 90.0  # per process: near one full core (Python runs on one at a time)


def summarize(folder: Path) -> list[WorkerFigures]:
    """[{host, address, processes, uploads, acknowledged, share, cpu_mean_pct, saturated,
    clock_offset_ms, rtt_ms, dropped}] — [] when the level ran in one Locust process."""
    machines: dict[tuple, list[dict]] = defaultdict(list)
    for w in read_workers(folder):
        machines[(w.get("host"), w.get("address"), w.get("parent"))].append(w)
    out = []
    for (host, address, _), procs in machines.items():
        samples = [s for w in procs if w.get("file")
                   for s in read_sample_file(Path(folder) / w["file"])]
        cpus = [w["cpu_mean_pct"] for w in procs if w.get("cpu_mean_pct") is not None]
        offsets = [w for w in procs if w.get("offset_s") is not None]
        out.append({
            "host": host or "?", "address": address, "processes": len(procs),
            "uploads": sum(s["kind"] != "bystander" for s in samples),
            "acknowledged": len(acknowledged(samples)),
            "cpu_mean_pct": round(statistics.fmean(cpus), 1) if cpus else None,
            "saturated": any(c >= SATURATED_PCT for c in cpus),
            "clock_offset_ms": round(statistics.median(w["offset_s"] for w in offsets) * 1000,
                                     3) if offsets else None,
            "rtt_ms": round(min(w["rtt_s"] for w in offsets) * 1000, 3) if offsets else None,
            "dropped": sum(not w.get("done") for w in procs)})
    total = sum(m["uploads"] for m in out)
    for m in out:
        m["share"] = round(m["uploads"] / total, 4) if total else None
    return out


def dropped_text(workers: list[WorkerFigures]) -> str | None:
    """The level's flag when a worker dropped out: never a silently smaller level."""
    gone = [m for m in workers if m["dropped"]]
    if not gone:
        return None
    return "; ".join(
        f"load worker {m['host']}" + (f" ({m['address']})" if m["address"] else "")
        + f" dropped out mid-level ({m['dropped']} of {m['processes']} process(es)): "
        f"its {m['uploads']} upload(s) before that are kept, the level ran short of its load"
        for m in gone)
