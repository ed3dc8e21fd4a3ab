"""psutil sampling of whole process trees (server + workers + sidecars; or the load generator).

A background thread in the orchestrator wakes every `interval` seconds and sums RSS and CPU over
each root process and all its descendants, found afresh each time (gunicorn respawns workers).
It also samples the whole machine's CPU over the CPUs this run may use (`machine`: every
process there, another job's too), so a level can say whether the CPUs were all busy.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil


@dataclass
class Series:
    t: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu_pct: list[float] = field(default_factory=list)

    def summary(self, window: tuple[float, float] | None = None) -> dict:
        """Peak RSS over the whole series; means over `window` (the measured part of a level)
        when given, so start-up and shutdown do not dilute them."""
        if not self.t:
            return {"rss_peak_mb": None, "rss_mean_mb": None, "cpu_mean_pct": None,
                    "cpu_peak_pct": None, "samples": 0}
        # CPU% needs two readings: the first one of each process is 0, so skip the first tick.
        idx = range(1, len(self.t)) if len(self.t) > 1 else range(len(self.t))
        if window:
            inside = [i for i in idx if window[0] <= self.t[i] <= window[1]]
            idx = inside or idx
        cpu = [self.cpu_pct[i] for i in idx]
        rss = [self.rss_mb[i] for i in idx]
        return {"rss_peak_mb": round(max(self.rss_mb), 1),
                "rss_mean_mb": round(sum(rss) / len(rss), 1),
                "cpu_mean_pct": round(sum(cpu) / len(cpu), 1),
                "cpu_peak_pct": round(max(cpu), 1),
                "samples": len(self.t)}


    def baseline_mb(self, until: float | None) -> float | None:
        """RSS before the level's load began (median of the samples before `until`, its first
        request): the level's own baseline, so its growth does not depend on what ran before."""
        if not self.t:
            return None
        before = [v for t, v in zip(self.t, self.rss_mb, strict=True) if until and t < until] \
            or self.rss_mb[:1]
        before.sort()
        return round(before[len(before) // 2], 1)


class TreeSampler:
    """Samples named groups of process trees: `{"server": lambda: [pids], "client": ...}`."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]], interval: float = 0.2):
        self.groups = groups
        self.interval = interval
        self.series = {name: Series() for name in groups}
        self.machine = Series()  # cpu_pct only: the run's CPUs, whoever used them
        self._cpus = sorted(os.sched_getaffinity(0))
        self._procs: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        psutil.cpu_percent(percpu=True)  # prime: the next reading covers the interval since
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            for name, roots in self.groups.items():
                rss, cpu = self._measure(roots())
                s = self.series[name]
                s.t.append(now)
                s.rss_mb.append(rss / 1e6)  # MB = 10^6 bytes, as everywhere in upbench
                s.cpu_pct.append(cpu)
            per_cpu = psutil.cpu_percent(percpu=True)
            self.machine.t.append(now)
            self.machine.rss_mb.append(0.0)
            self.machine.cpu_pct.append(sum(per_cpu[i] for i in self._cpus if i < len(per_cpu)))
            self._stop.wait(self.interval)

    def _measure(self, roots: list[int]) -> tuple[int, float]:
        rss, cpu = 0, 0.0
        for pid in _tree(roots):
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)  # prime: the first reading has no interval
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    cpu += proc.cpu_percent(None)
            except psutil.Error:
                self._procs.pop(pid, None)
        return rss, cpu


def _tree(roots: list[int]) -> set[int]:
    pids: set[int] = set()
    for pid in roots:
        try:
            root = psutil.Process(pid)
            pids.add(pid)
            pids.update(child.pid for child in root.children(recursive=True))
        except psutil.Error:
            continue
    return pids
