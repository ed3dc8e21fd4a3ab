"""CPU isolation: the load generator and the target on disjoint CPUs (`--pin auto|on|off`).

`auto` pins only where there are enough CPUs for it to help (4 or more): the generator gets
one CPU per Locust process (at most a quarter of them), the target the rest. On a 2-core
machine a 1+1 split halves what a 2-worker server can use; measured here (README, "CPU
isolation") it cost more throughput than the interference it removes, so `auto` leaves both
unpinned there and says so in results.json. `on` forces the split anyway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MIN_CPUS_FOR_AUTO = 4


@dataclass(frozen=True)
class CpuPlan:
    mode: str
    target: frozenset[int] | None
    client: frozenset[int] | None
    reason: str

    def as_dict(self) -> dict:
        return {"mode": self.mode, "target": sorted(self.target) if self.target else None,
                "client": sorted(self.client) if self.client else None, "reason": self.reason}


def plan(mode: str, processes: int) -> CpuPlan:
    cpus = sorted(os.sched_getaffinity(0))
    if mode == "off":
        return CpuPlan(mode, None, None, "pinning turned off (--pin off)")
    if len(cpus) < 2:
        return CpuPlan(mode, None, None, "one CPU: nothing to split")
    if mode == "auto" and len(cpus) < MIN_CPUS_FOR_AUTO:
        return CpuPlan(mode, None, None, f"{len(cpus)} CPUs: a split would starve the server "
                                         "(see README); --pin on forces it")
    k = max(1, min(processes, len(cpus) // 4 if mode == "auto" else len(cpus) - 1))
    return CpuPlan(mode, frozenset(cpus[:-k]), frozenset(cpus[-k:]),
                   f"generator on {k} of {len(cpus)} CPUs, target on the rest")
