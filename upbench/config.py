"""The run plan: CLI flags parsed once into a frozen RunConfig (nothing downstream reads argparse)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests.request import TUS_RETRY_DELAYS, RequestSpec, mask_url


@dataclass(frozen=True)
class LoadLevel:
    model: str                 # "closed" (users) or "open" (arrival rate)
    users: int | None = None
    rate: float | None = None

    @property
    def label(self) -> str:
        return f"{self.users} users" if self.model == "closed" else f"{self.rate:g}/s"

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
    workers: int = 2
    worker_class: str | None = None
    processes: int = 1           # Locust processes generating load
    pin: str = "auto"            # CPU isolation: auto, on, off (upbench.lifecycle.pinning)
    max_upload: int = 1 << 30
    bandwidth: int = 1_000_000   # slow scenario, bytes/s per user
    chunk_size: int = 5_000_000  # resumable scenario: tus PATCH size
    drop_rate: float = 0.2       # resumable scenario: fraction of PATCHes cut
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
    claims: tuple[str, ...] = ()  # () = all
    min_repetitions: int = 3
    max_repetitions: int = 6
    duration: float = 2.0         # per level, unless the arm says otherwise
    warmup: float = 0.4
    budget_s: float = 230.0       # no extra repetition starts after this (the minimum always runs)
    survey: bool = True
    browser: str | None = None    # --browser PATH: the Chromium of the browser claims

    @classmethod
    def quick(cls, claims: tuple[str, ...] = ()) -> ClaimsPlan:
        """One short repetition each: every verdict is honestly inconclusive."""
        return cls(claims, min_repetitions=1, max_repetitions=1, duration=1.5, warmup=0.3)

    def as_dict(self) -> dict:
        return asdict(self)
