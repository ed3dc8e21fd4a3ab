"""The run plans: CLI flags parsed once into a frozen RunConfig (the sweep) or ClaimsPlan (the
claims run); nothing downstream reads argparse. The defaults every level starts from are named
once here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests.request import TUS_RETRY_DELAYS, RequestSpec, mask_url

MAX_UPLOAD = 1 << 30     # the targets' upload limit unless --max-upload says otherwise
BANDWIDTH = 1_000_000    # slow scenario, bytes/s per user
CHUNK_SIZE = 5_000_000   # resumable scenario: tus PATCH size
DROP_RATE = 0.2          # resumable scenario: fraction of PATCHes cut
WORKERS = 2              # server worker processes: the same capacity for every target
MIN_REPETITIONS = 3      # an interval needs a spread: no verdict from fewer, no run stops before
MAX_REPETITIONS = 14     # the claims' stopping rule's cap (its error rate is computed for it)
PIN = "auto"             # CPU isolation: auto, on, off (upbench.lifecycle.pinning)


@dataclass(frozen=True)
class LoadLevel:
    model: str                 # "closed" (users) or "open" (arrival rate)
    users: int | None = None
    rate: float | None = None

    def as_dict(self) -> dict:
        return {"model": self.model, "users": self.users, "rate": self.rate}


@dataclass(frozen=True)
class Stage:
    """One scenario swept over sizes x load levels."""
    scenario: str
    sizes: tuple[int, ...]
    levels: tuple[LoadLevel, ...]

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "sizes": list(self.sizes),
                "levels": [level.as_dict() for level in self.levels]}


@dataclass(frozen=True)
class RunConfig:
    targets: tuple[str, ...]
    stages: tuple[Stage, ...]
    duration: float = 10.0
    warmup: float = 2.0
    work: str = "sha256"
    workers: int = WORKERS
    worker_class: str | None = None
    processes: int = 1           # Locust processes generating load
    pin: str = PIN
    max_upload: int = MAX_UPLOAD
    bandwidth: int = BANDWIDTH
    chunk_size: int = CHUNK_SIZE
    drop_rate: float = DROP_RATE
    url: str | None = None       # anyone's endpoint instead of our targets (no credentials)
    name: str | None = None
    out: Path | None = None
    quiet: bool = False
    # --url: how the endpoint wants its uploads, and what upbench may check there
    request: RequestSpec = RequestSpec()
    status_url: str | None = None      # path template with {id}, polled after a 202
    url_limit: int | None = None       # the endpoint's upload limit, when --max-upload says
    verify: bool = True                # --no-verify: measure without the advisory checks
    retry_delays: tuple[float, ...] = TUS_RETRY_DELAYS  # tus: waits before each retry
    locust_csv: bool = False           # --csv: Locust's own CSV files per level, in the run folder
    repeat: int = 1                    # --repeat N: every level N times, interleaved across targets
    # --master: `bench.py worker`s generate the load; our targets listen on the bind host too
    expect_workers: int = 0            # 0: Locust runs here (--processes)
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int = 5557

    def as_dict(self) -> dict:
        """For results.json: the URL's query secrets and the request's secrets masked."""
        d = asdict(self)
        d["stages"] = [stage.as_dict() for stage in self.stages]
        d["out"] = str(self.out) if self.out else None
        d["url"] = mask_url(self.url)
        d["status_url"] = mask_url(self.status_url)
        d["request"] = self.request.public()
        d["retry_delays"] = list(self.retry_delays)
        return d


@dataclass(frozen=True)
class ClaimsPlan:
    """The claims run: which claims, how many repetitions, each level's time. Everything else
    a level needs comes from the claim's arm (upbench.run.level.Level.of_arm)."""
    claims: tuple[str, ...] = ()  # () = all
    min_repetitions: int = MIN_REPETITIONS  # every arm (the stopping rule's first look)
    max_repetitions: int = MAX_REPETITIONS  # the stopping rule's cap (upbench/claims/stats.py)
    duration: float = 2.0         # per level, unless the arm says otherwise
    warmup: float = 0.4
    phase_budget_s: float = 45.0  # per phase: no extra repetition starts once its extras took this
    level_cap_s: float = 15.0     # a level too small for its figure is extended up to this long
    survey: bool = True
    workers: int = WORKERS        # server worker processes
    out: Path | None = None
    quiet: bool = False
    locust_csv: bool = False      # --csv: Locust's own CSV files per level
    browser: str | None = None    # --browser PATH: the Chromium of the browser claims

    @classmethod
    def quick(cls, claims: tuple[str, ...] = (), **settings) -> ClaimsPlan:
        """One short repetition each: every verdict is honestly inconclusive."""
        return cls(claims, min_repetitions=1, max_repetitions=1, duration=1.5, warmup=0.3,
                   level_cap_s=1.5, **settings)

    def as_dict(self) -> dict:
        """results.json's `claims_run`: how the claims were judged (`config` holds the rest)."""
        return {k: v for k, v in asdict(self).items() if k not in ("workers", "out", "quiet", "locust_csv")}

    def config_record(self, targets: tuple[str, ...]) -> dict:
        """results.json's `config` of a claims run. It keeps the sweep's shape, so that its
        readers (the judge reads `workers`, the report `work`) read both kinds of run alike."""
        return RunConfig(targets=targets, stages=(), duration=self.duration,
                         warmup=self.warmup, workers=self.workers, out=self.out,
                         quiet=self.quiet, locust_csv=self.locust_csv).as_dict()


SLO_METRICS = {"latency": "latency_ms", "ttfb": "ttfb_ms", "completion": "completion_ms"}


@dataclass(frozen=True)
class Slo:
    """One objective of `bench.py capacity`: `percentile` of `metric` below `limit_ms`."""
    metric: str        # latency | ttfb | completion
    percentile: str    # p50 ... p999
    limit_ms: float

    def __str__(self) -> str:
        limit = (f"{self.limit_ms / 1000:g}s" if self.limit_ms >= 1000
                 else f"{self.limit_ms:g}ms")
        head = "" if self.metric == "latency" else f"{self.metric} "
        return f"{head}{self.percentile}<{limit}"

    def observed(self, result: dict) -> float | None:
        return (result.get(SLO_METRICS[self.metric]) or {}).get(self.percentile)


@dataclass(frozen=True)
class SearchPlan:
    start: float = 8.0           # first rate (uploads/s)
    max_rate: float = 2000.0
    min_rate: float = 0.25       # below this the search gives up: "< min_rate"
    growth: float = 2.0
    resolution: float = 0.10     # bisect until hi/lo <= 1 + resolution
    min_reps: int = 2            # a verdict needs at least this many repetitions of a rate
    max_reps: int = 4
    max_levels: int = 18         # per target
    budget_s: float = 180.0      # per target: no level starts after this


@dataclass(frozen=True)
class CapacityPlan:
    """`bench.py capacity`: what is uploaded, the objectives, and how the search runs."""
    size: int
    slos: tuple[Slo, ...]
    search: SearchPlan = SearchPlan()
    scenario: str = "upload"      # one multipart POST per upload, open loop

    def as_dict(self) -> dict:
        return {"size_bytes": self.size, "slo": [str(s) for s in self.slos],
                "scenario": self.scenario, "search": asdict(self.search)}
