"""What a claim is: a quoted sentence, the code judged, and the experiment that can tell.

- An `Experiment` is a set of named *arms* (a target, a scenario, a size, a load) run under one
  `--work`, repeated and interleaved (A B, B A, A B, ...). Claims share experiments.
- A `Measure` turns one repetition's arm results into one figure (a ratio of two arms, a
  memory slope, ...). It reads only stored results, so a verdict can be re-judged from
  results.json alone, and it can `synthesize` results with a known figure for the tests.
- A `Claim` compares the figures' interval with a threshold stated in advance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from loadtests.units import format_size
from upbench.records import Result


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: what runs, and against which target."""
    target: str
    scenario: str = "upload"
    size: int = 1_000_000
    users: int = 1
    fresh: bool = False              # restart the server first: memory from a clean process
    duration: float | None = None    # overrides of the run's settings for this arm
    bandwidth: int | None = None
    chunk_size: int | None = None
    drop_rate: float | None = None

    def describe(self) -> str:
        return (f"{self.target} · {self.scenario} · {format_size(self.size)} · "
                f"{self.users} user{'s' if self.users != 1 else ''}")


@dataclass(frozen=True)
class Experiment:
    id: str
    work: str                        # the servers' --work for every arm
    arms: dict[str, Arm]             # role -> arm
    what: str                        # what runs, and why this workload can reveal the claims

    def describe(self) -> dict:
        return {"id": self.id, "work": self.work, "what": self.what,
                "arms": {role: arm.describe() for role, arm in self.arms.items()}}


def get(r: Result, block: str, key: str) -> float | None:
    value = (r.get(block) or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else None


# --- measures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    """`block.key` of arm `num` over the same of arm `den`, measured side by side."""
    num: str
    den: str
    block: str
    key: str
    kind: Literal["ratio"] = "ratio"

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        a, b = get(arms[self.num], self.block, self.key), get(arms[self.den], self.block, self.key)
        return a / b if a is not None and b else None

    def label(self, exp: Experiment) -> str:
        return (f"{self.block.removesuffix('_ms')} {self.key} of {exp.arms[self.num].target} / "
                f"{exp.arms[self.den].target}")

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        base = rng.uniform(5, 50)
        return {self.den: {self.block: {self.key: base}},
                self.num: {self.block: {self.key: base * value}}}


@dataclass(frozen=True)
class MemorySlope:
    """Server RSS growth (peak over the level's own baseline) per MB the server holds at once
    (size x the uploads it really has in flight: min(users, workers) for sync workers)."""
    role: str
    kind: Literal["value"] = "value"

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        r = arms[self.role]
        peak, base = get(r, "server", "rss_peak_mb"), get(r, "server", "rss_baseline_mb")
        in_flight = in_flight_mb(r, context)
        return (peak - base) / in_flight if peak is not None and base is not None \
            and in_flight else None

    def label(self, exp: Experiment) -> str:
        return f"RSS growth of {exp.arms[self.role].target} per MB in flight"

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        base = rng.uniform(80, 120)
        return {self.role: {"size_bytes": 32_000_000, "load": {"model": "closed", "users": 2},
                            "server": {"rss_baseline_mb": base, "rss_peak_mb": base + 64 * value,
                                       "concurrency": 2}}}


def in_flight_mb(r: Result, context: dict) -> float | None:
    users = (r.get("load") or {}).get("users") or 0
    held = min(users, (r.get("server") or {}).get("concurrency") or users)
    return r["size_bytes"] * held / 1e6 if held else None


@dataclass(frozen=True)
class AckGap:
    """Milliseconds from the acknowledgement to the upload being final (completion p50 minus
    latency p50): how long an acknowledged upload is not yet done."""
    role: str
    kind: Literal["value"] = "value"

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        r = arms[self.role]
        done, ack = get(r, "completion_ms", "p50"), get(r, "latency_ms", "p50")
        return done - ack if done is not None and ack is not None else None

    def label(self, exp: Experiment) -> str:
        return f"ms from {exp.arms[self.role].target}'s acknowledgement to done (p50)"

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        ack = rng.uniform(5, 20)
        return {self.role: {"latency_ms": {"p50": ack}, "completion_ms": {"p50": ack + value}}}


@dataclass(frozen=True)
class BusyPerWorker:
    """Little's law: requests in service per worker = throughput x the work's own time /
    workers. 1.0 = each worker serves one request at a time; 4.0 = four at once."""
    role: str
    kind: Literal["value"] = "value"

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        r = arms[self.role]
        rps, work_s = get(r, "throughput", "rps"), context.get("work_s")
        workers = context.get("workers")
        return rps * work_s / workers if rps is not None and work_s and workers else None

    def label(self, exp: Experiment) -> str:
        return f"requests in service per worker of {exp.arms[self.role].target}"

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        # context (tests): work_s 0.3, workers 2
        return {self.role: {"throughput": {"rps": value * 2 / 0.3}}}


@dataclass(frozen=True)
class Survival:
    """Of the uploads whose connection was cut at least once, the share that completed whole
    (pooled over repetitions: an exact binomial interval)."""
    role: str
    kind: Literal["proportion"] = "proportion"

    def figure(self, arms: dict[str, Result], context: dict) -> tuple[int, int] | None:
        r = arms[self.role]
        resume = r.get("resume") or {}
        cut = resume.get("cut_uploads")
        if cut is None:
            return None
        bad = (r.get("integrity") or {}).get("lost", 0) + (r.get("integrity") or {}).get(
            "corrupt", 0)
        return max(0, resume.get("completed_after_drop", 0) - bad), cut

    def label(self, exp: Experiment) -> str:
        return f"share of cut uploads to {exp.arms[self.role].target} that completed whole"

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        cut = 40
        return {self.role: {"resume": {"cut_uploads": cut, "completed_after_drop":
                                       round(cut * value)}, "integrity": {"lost": 0,
                                                                         "corrupt": 0}}}


Measure = Ratio | MemorySlope | AckGap | BusyPerWorker | Survival


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    quote: str                       # the seed's sentence, exactly
    claim: str                       # what is tested, in a line
    code: tuple[str, ...]            # targets judged
    experiment: Experiment
    measure: Measure
    threshold: float                 # the smallest effect that counts, stated in advance
    holds_if: Literal["below", "above"]
    why: str                         # why this comparison and threshold
    unit: str = "×"
    notes: tuple[str, ...] = field(default=())

    @property
    def metric(self) -> str:
        return self.measure.label(self.experiment)
