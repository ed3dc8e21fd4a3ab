"""What a claim is: a quoted sentence, the code judged, and the experiment that can tell.

- An `Experiment` is a set of named *arms* (a target, a scenario, a size, a load) run under one
  `--work`, repeated and interleaved (A B, B A, A B, ...). Claims share experiments.
- A `Measure` turns one repetition's arm results into one figure (a ratio of two arms, a
  memory slope, ...). It reads only stored results, so a verdict can be re-judged from
  results.json alone, and it can `synthesize` results with a known figure for the tests.
- A `Claim` compares the figures' interval with a threshold stated in advance, by the
  stopping rule of `stats`; it says what a verdict means for the report's synthesis.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from loadtests.catalog import SCENARIOS
from loadtests.request import TUS_RETRY_DELAYS
from loadtests.units import format_size
from upbench.config import BANDWIDTH, CHUNK_SIZE, DROP_RATE
from upbench.records import Result


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: what runs, and against which target."""
    target: str
    scenario: str = "upload"
    size: int = 1_000_000
    users: int = 1
    rate: float | None = None        # open loop: uploads started per second (users unused)
    fresh: bool = False              # restart the server first: memory from a clean process
    duration: float | None = None    # None: the claims plan's level duration
    bandwidth: int = BANDWIDTH       # the slow scenarios' bytes/s per user
    chunk_size: int = CHUNK_SIZE     # resumable: tus PATCH size
    drop_rate: float = DROP_RATE     # resumable: fraction of PATCHes cut
    retry_delays: tuple[float, ...] = TUS_RETRY_DELAYS

    def describe(self) -> str:
        if not SCENARIOS[self.scenario].uploads:
            return f"{self.target} · {self.scenario} (no uploads)"
        load = f"{self.rate:g}/s open loop" if self.rate else \
            f"{self.users} user{'s' if self.users != 1 else ''}"
        return f"{self.target} · {self.scenario} · {format_size(self.size)} · {load}"


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

    @property
    def roles(self) -> set[str]:
        return {self.num, self.den}

    @property
    def samples(self) -> dict[str, str]:
        """What each arm's figure rests on ("uploads" or "probes"): the minimum sample."""
        what = {"bystander_ms": "probes", "server": None}.get(self.block, "uploads")
        return {role: what for role in self.roles} if what else {}

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        a, b = get(arms[self.num], self.block, self.key), get(arms[self.den], self.block, self.key)
        return a / b if a is not None and b else None

    def label(self, exp: Experiment) -> str:
        num, den = exp.arms[self.num], exp.arms[self.den]
        return (f"{self.block.removesuffix('_ms')} {self.key} of {num.target} {num.scenario} "
                f"({self.num}) / {den.target} {den.scenario} ({self.den})")

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        base = rng.uniform(5, 50)
        return {self.den: {self.block: {self.key: base}},
                self.num: {self.block: {self.key: base * value}}}


@dataclass(frozen=True)
class MemorySlope:
    """The slope of server RSS growth (peak over the level's own baseline) against the MB the
    server holds at once (size x the uploads it really has in flight: min(users, workers) for
    sync workers), between a small and a large upload size: a fixed cost per process (a
    fresh worker's first imports, buffers) is the intercept and cancels."""
    small: str
    large: str
    kind: Literal["value"] = "value"

    @property
    def roles(self) -> set[str]:
        return {self.small, self.large}

    @property
    def samples(self) -> dict[str, str]:
        return {}  # an RSS peak, not a distribution of requests

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        points = [(in_flight_mb(arms[role]), growth_mb(arms[role]))
                  for role in (self.small, self.large)]
        if any(x is None or y is None for x, y in points):
            return None
        (x0, y0), (x1, y1) = points
        return (y1 - y0) / (x1 - x0) if x1 != x0 else None

    def label(self, exp: Experiment) -> str:
        small, large = exp.arms[self.small], exp.arms[self.large]
        return (f"RSS growth of {large.target} per MB in flight ({format_size(small.size)} → "
                f"{format_size(large.size)} uploads)")

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        fixed = rng.uniform(5, 15)  # per-process overhead: the intercept

        def level(size: int) -> dict:
            base = rng.uniform(80, 120)
            in_flight = size * 2 / 1e6
            return {"size_bytes": size, "load": {"model": "closed", "users": 2},
                    "server": {"rss_baseline_mb": base, "concurrency": 2,
                               "rss_peak_mb": base + fixed + in_flight * value}}
        return {self.small: level(8_000_000), self.large: level(32_000_000)}


def growth_mb(r: Result) -> float | None:
    peak, base = get(r, "server", "rss_peak_mb"), get(r, "server", "rss_baseline_mb")
    return peak - base if peak is not None and base is not None else None


def in_flight_mb(r: Result) -> float | None:
    users = (r.get("load") or {}).get("users") or 0
    held = min(users, (r.get("server") or {}).get("concurrency") or users)
    return r["size_bytes"] * held / 1e6 if held else None


@dataclass(frozen=True)
class OneArm:
    """A measure read from one arm."""
    role: str

    @property
    def roles(self) -> set[str]:
        return {self.role}

    @property
    def samples(self) -> dict[str, str]:
        return {self.role: "uploads"}


@dataclass(frozen=True)
class AckGap(OneArm):
    """Milliseconds from the acknowledgement to the upload being final (completion p50 minus
    latency p50): how long an acknowledged upload is not yet done."""
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
class BusyPerWorker(OneArm):
    """Little's law: requests in service per worker = throughput x the work's own time /
    workers, with the closed loop's throughput = users / mean latency (no think time).
    1.0 = each worker serves one request at a time; 4.0 = four at once. `workers`: the
    server's processes when they are not the run's --workers (app.run(): one)."""
    workers: int | None = None
    kind: Literal["value"] = "value"

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        r = arms[self.role]
        mean_s, work_s = get(r, "latency_ms", "mean"), context.get("work_s")
        users = (r.get("load") or {}).get("users")
        workers = self.workers or context.get("workers")
        if not (mean_s and work_s and users and workers):
            return None
        return users / (mean_s / 1000) * work_s / workers

    def label(self, exp: Experiment) -> str:
        return f"requests in service per worker of {exp.arms[self.role].target}"

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        # context (tests): work_s 0.3, workers 2; 8 users
        workers = self.workers or 2
        return {self.role: {"load": {"model": "closed", "users": 8},
                            "latency_ms": {"mean": 8 * 0.3 / (value * workers) * 1000}}}


@dataclass(frozen=True)
class Survival(OneArm):
    """Of the uploads whose connection was cut at least once, the share that completed whole
    (pooled over repetitions: an exact binomial interval)."""
    kind: Literal["proportion"] = "proportion"

    @property
    def samples(self) -> dict[str, str]:
        return {}  # the pooled exact interval accounts for how many uploads were cut

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
        done = min(cut, max(0, round(cut * value)))
        return {self.role: {"resume": {"cut_uploads": cut, "completed_after_drop": done},
                            "integrity": {"lost": 0, "corrupt": 0}}}


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
    # The targets of `code` that run the seed's snippet as written (their specs list each
    # change running it needed); () for a hidden cost with no snippet of its own.
    as_written: tuple[str, ...] = ()
    # What the two arms the measure compares differ in: target traits (targets.spec.TRAITS)
    # and arm fields (scenario, size, rate, ...). Checked against the specs by
    # tests/test_claim_controls.py; () for a measure read from one arm.
    differs_in: tuple[str, ...] = ()
    # True when the claim is measured at the server's full concurrency by design (a
    # throughput ceiling; memory per MB in flight, which counts every worker busy): then only
    # a saturated load generator makes it inconclusive; otherwise any saturated side does.
    about_saturation: bool = False
    # What the verdict means, for the report's "What it means" (one sentence each; empty: a
    # generic sentence from `claim`). Say the cause where a control shows it.
    means_if_holds: str = ""
    means_if_not: str = ""

    @property
    def metric(self) -> str:
        return self.measure.label(self.experiment)
