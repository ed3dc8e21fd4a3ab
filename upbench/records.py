"""The records that flow from aggregation to results.json to the report, named once.

`TypedDict`s (not classes): results.json is their serialised form as it is, and the report
reads the stored JSON back without a conversion step. Fields are those of DESIGN.md's
"upbench/1" schema; added fields are listed here too.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Distribution(TypedDict):
    p50: float
    p90: float
    p95: float
    p99: float
    p999: float
    max: float
    mean: float
    count: int


class Load(TypedDict):
    model: Literal["closed", "open"]
    users: int | None
    rate: float | None


class Integrity(TypedDict, total=False):
    acknowledged: int
    verified: int
    lost: int
    corrupt: int
    unfinished: int
    disk_checked: int
    storage_error: bool


class Result(TypedDict, total=False):
    """One measured level (one Locust run against one target)."""
    target: str
    scenario: str
    size_bytes: int
    load: Load
    duration_s: float
    work: str                 # the server's --work for this level
    experiment: str | None    # the claims experiment this level belongs to
    repetition: int | None    # 1, 2, ... within that experiment
    requests: int
    failures: int
    errors: dict[str, int]
    throughput: dict[str, float]           # rps, mbps
    latency_ms: Distribution | None
    ttfb_ms: Distribution | None
    sending_ms: Distribution | None
    waiting_ms: Distribution | None
    completion_ms: Distribution | None
    bystander_ms: Distribution | None
    server: dict                           # rss_peak_mb, rss_mean_mb, rss_baseline_mb, cpu_*
    services: dict | None
    client: dict                           # cpu_mean_pct, saturated, processes
    integrity: Integrity
    level_error: str | None                # the level itself failed (e.g. storage backend)
    notes: list[str]
    # only when measured: the wait for 100 Continue, a direct-to-storage upload's steps
    continue_ms: Distribution
    ticket_ms: Distribution
    transfer_ms: Distribution
    complete_ms: Distribution
    rejection: dict                        # oversize: status_seen, reset, time_to_rejection_ms…


class Effect(TypedDict):
    metric: str
    estimate: float | None
    interval: list[float] | None           # [lo, hi]
    threshold: float


VerdictValue = Literal["holds", "does not hold", "inconclusive", "not measured"]


class Verdict(TypedDict):
    id: str
    claim: str
    seed: str
    quote: str
    code: list[str]                        # targets judged
    verdict: VerdictValue
    holds: bool | None
    experiment: dict
    effect: Effect
    repetitions: list[dict]
    evidence: str
