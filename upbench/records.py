"""The records that flow from a level to results.json to the report, named once.

`TypedDict`s (not classes): results.json is their serialised form as it is, and the report
reads the stored JSON back without a conversion step. Every field written today is declared
here, and docs/contracts.md ("results.json") says what each means; tests/test_records.py fails
when a producer writes a key its record does not declare. A new field: declare it here and
describe it there (fields may be added; none renamed or dropped without a new schema).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, get_type_hints, is_typeddict


class Distribution(TypedDict):
    """Milliseconds, from an HDR histogram (max and mean exact)."""
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


class Throughput(TypedDict):
    rps: float
    mbps: float


class OpenLoop(TypedDict):
    scheduled: int
    late: int                              # started more than 10 ms behind schedule
    dropped: int                           # never started: the schedule could not keep up
    start_delay_ms: Distribution | None


class Resume(TypedDict):
    """tus uploads: cut connections and how they were resumed."""
    uploads: int
    drops: int
    cut_uploads: int
    completed_after_drop: int
    retries: int
    resumes: int
    bytes_resent: int
    bytes_sent_per_upload: int             # what arrived plus what was sent twice, per upload
    recovery_ms: Distribution | None


class Series(TypedDict, total=False):
    """A level second by second (warm-up included), on the clock `t0` (epoch)."""
    t0: float
    bucket_s: float
    warmup_s: float
    t: list[float]
    rps: list[float]
    failed: list[int]
    p50_ms: list[float | None]
    p99_ms: list[float | None]
    intended_rps: list[float]              # open loop only
    issued_rps: list[float]


class ProcessSummary(TypedDict):
    """A sampled process group (upbench.measure.sampler): RSS and CPU over the level."""
    rss_peak_mb: float | None
    rss_mean_mb: float | None
    cpu_mean_pct: float | None
    cpu_peak_pct: float | None
    samples: int


class ServerSummary(ProcessSummary, total=False):
    rss_baseline_mb: float | None          # before the level's load began
    concurrency: int | None                # uploads it can hold at once (sync workers)


class ClientSummary(ProcessSummary, total=False):
    processes: int                         # Locust processes
    saturated: bool                        # the generator, not the server, set the pace
    remote: bool                           # `run --master`: the workers' figures, summed


class WorkerFigures(TypedDict, total=False):
    """One worker machine of a distributed level (upbench/measure/generators.py)."""
    host: str
    address: str | None        # the address it reached the master from
    processes: int
    uploads: int
    acknowledged: int
    share: float | None        # of the level's uploads
    cpu_mean_pct: float | None  # per process
    saturated: bool
    clock_offset_ms: float | None  # its clock minus the master's
    rtt_ms: float | None       # shortest ping round trip: the offset's uncertainty is half
    dropped: int               # processes that dropped out mid-level


class Timeline(TypedDict, total=False):
    """Server RSS/CPU over time, thinned; `t` in seconds from `t0` (epoch)."""
    t0: float
    t: list[float]
    rss_mb: list[float]
    cpu_pct: list[float]


class Crash(TypedDict):
    killed_at: float
    ready_at: float
    downtime_s: float


class FailureWarning(TypedDict):
    share: float                           # failed / made
    top_error: str
    hint: str | None
    text: str


class Integrity(TypedDict, total=False):
    acknowledged: int
    verified: int
    lost: int
    corrupt: int
    unfinished: int
    disk_checked: int
    storage_error: bool                    # the backend failed: nothing claimed lost
    size_only: int                         # anyone's endpoint: byte count checked only
    unverified: int                        # anyone's endpoint: no digest in the answer
    note: str | None


class Observer(TypedDict):
    """How a level learned that its 202 uploads were done, and what that cost the server."""
    completion: Literal["records", "poll"]   # records: read from disk after the level
    status_requests: int                   # polls sent to the server during the level
    uploads_awaited: int


class VitalFigures(TypedDict):
    """A browser figure over a level's uploads that started under load, ms."""
    p50: float
    max: float
    n: int


class BrowserUpload(TypedDict, total=False):
    """One upload by Chromium from GET /page (upbench.measure.browser)."""
    kind: Literal["fetch", "form"]
    ok: bool
    inp_ms: float | None                   # fetch: INP of the click
    shown_ms: float                        # fetch: click -> the result on the page
    lcp_ms: float                          # form: LCP of the landing page, from the click
    network: dict[str, float] | None       # DevTools' phases (Queueing ... Content Download)
    error: str
    wall_s: float
    under_load: bool                       # started while the level's load ran


class BrowserFigures(TypedDict):
    """A browser arm's level: what Chromium measured beside the load (run/browser_levels.py)."""
    chromium: str                          # its version
    interactions: list[BrowserUpload]
    failed: int
    after_load: int                        # succeeded, but started after the load: not counted
    inp_ms: VitalFigures | None
    shown_ms: VitalFigures | None
    lcp_ms: VitalFigures | None
    network: dict[str, dict[str, float]]   # kind -> median of each phase


class Result(TypedDict, total=False):
    """One measured level (one Locust run against one subject): upbench.run.level.run_level."""
    target: str
    scenario: str
    size_bytes: int
    load: Load
    duration_s: float
    work: str                              # the server's --work for this level
    requests: int
    failures: int
    errors: dict[str, int]                 # error kind -> count
    throughput: Throughput
    latency_ms: Distribution | None
    latency_spectrum: list[list[float]] | None  # [[percentile, ms], ...]
    ttfb_ms: Distribution | None
    sending_ms: Distribution | None
    connecting_ms: Distribution | None
    tls_handshaking_ms: Distribution | None
    waiting_ms: Distribution | None
    completion_ms: Distribution | None
    bystander_ms: Distribution | None
    open_loop: OpenLoop | None
    resume: Resume | None
    series: Series | None
    server: ServerSummary
    services: ProcessSummary | None        # Redis, the S3 endpoint: apart from the pattern
    client: ClientSummary
    timeline: Timeline
    crash: Crash                           # the crash scenario only
    failure_warning: FailureWarning | None
    level_error: str | None                # the level itself failed (a storage backend, a
    #                                        load worker that dropped out)
    integrity: Integrity
    notes: list[str]
    observer: Observer
    workers: list[WorkerFigures]           # Locust ran distributed: per worker machine
    experiment: str                        # a claims run: the experiment of this level
    repetition: int                        # 1, 2, ... within that experiment, or `run --repeat`
    arm: str                               # the arm's role in the experiment
    # only when measured: the wait for 100 Continue, a direct-to-storage upload's steps
    continue_ms: Distribution
    ticket_ms: Distribution
    transfer_ms: Distribution
    complete_ms: Distribution
    rejection: dict                        # oversize: status_seen, reset, time_to_rejection_ms…
    browser: BrowserFigures                # a browser arm (upbench/claims/webvitals.py)
    conditions: Conditions                 # CPU of each side against its CPUs; saturated
    extended: Extended                     # a claims-run level run again longer


class Conditions(TypedDict, total=False):
    """What a level ran under (upbench/conditions.py), or an arm's mean over its repetitions."""
    server_cpu_pct: float | None
    server_cpus: int
    client_cpu_pct: float | None
    client_cpus: int                       # min(Locust processes, its CPUs)
    machine_cpu_pct: float | None          # every process on the shared CPUs
    cpus: int
    shared: bool                           # generator and server on the same CPUs
    saturated: bool
    saturated_by: list[str]                # "server", "generator", "machine"
    levels: int                            # an arm's mean: over how many levels
    target: str                            # an arm's mean: its target


class Extended(TypedDict):
    from_s: float                          # the level's first, too short, duration
    reason: str                            # "12 uploads < 30"


class Check(TypedDict, total=False):
    name: str
    ok: bool
    detail: str
    advisory: bool                         # reported, but the target is measured anyway
    skipped: bool


class VerifyRecord(TypedDict, total=False):
    """One subject's verify (or its failed start: one check named "start")."""
    target: str
    ok: bool
    checks: list[Check]
    external: bool                         # anyone's endpoint (advisory checks)
    digest: str | None                     # sha256, etag-md5, bytes or None
    work: str                              # a claims run: the phase's --work


class Effect(TypedDict):
    metric: str
    estimate: float | None
    interval: list[float] | None           # [lo, hi], at the level of the last look
    threshold: float
    holds_if: Literal["below", "above"]
    unit: str
    confidence: NotRequired[float]         # the interval's level (the stopping rule's look)


class Sequential(TypedDict):
    """The stopping rule's record of a verdict (upbench/claims/stats.py)."""
    looks: int
    used: int                              # repetitions read (the claim stopped there)
    stopped: Literal["decided", "cap", "open", "failed", "saturated"]
    confidence: float | None
    max_repetitions: int


VerdictValue = Literal["holds", "does not hold", "inconclusive", "not measured"]


class Verdict(TypedDict):
    id: str
    claim: str
    seed: str
    quote: str
    code: list[str]                        # targets judged
    code_as_written: list[str]             # of those, the ones running the seed's snippet
    verdict: VerdictValue
    holds: bool | None
    experiment: dict                       # what ran: id, work, what, arms, roles
    effect: Effect
    repetitions: list[dict]                # per repetition: figure + each role's figures
    evidence: str
    why: str
    notes: list[str]
    # added by issue 18 (absent from results written before them; a "not measured" verdict
    # has no `sequential`)
    sequential: NotRequired[Sequential]
    conditions: NotRequired[dict[str, Conditions] | None]   # per role the figure reads
    about_saturation: NotRequired[bool]
    meaning: NotRequired[str | None]       # the "What it means" sentence


class SustainCheck(TypedDict):
    """One criterion of a capacity level (upbench/measure/sustain.py)."""
    name: str
    observed: float | None
    limit: float
    unit: str
    margin: float                          # observed / limit, clipped to [0.01, 1e6]
    text: str


class Backlog(TypedDict):
    slope: float                           # s per s: growth of the wait to done
    ack_slope: float                       # the same for the answers alone
    start: int                             # uploads in the system at the window's start
    end: int
    growth: int
    arrivals: int


class CapacityLevel(TypedDict, total=False):
    """One open-loop level of a capacity search."""
    rate: float
    repetition: int
    sustained: bool
    margin: float                          # the largest check margin
    failed: str | None                     # the worst check's name when not sustained
    why: str | None
    generator: str | None                  # why the load generator set the pace, if it did
    checks: list[SustainCheck]
    requests: int
    failures: int
    achieved_rps: float | None
    latency_ms: dict | None                # p50, p90, p99
    ttfb_ms: dict | None
    completion_ms: dict | None
    server: dict                           # rss_peak_mb, cpu_mean_pct
    client_cpu_pct: float | None
    start_delay_p95_ms: float | None
    dropped: int | None
    level_error: str | None
    backlog: Backlog | None
    undrained: int                         # accepted uploads still unfinished after the wait


class RateVerdict(TypedDict):
    rate: float
    n: int
    mean: float | None                     # mean log margin
    interval: list[float] | None           # its 95 % t interval
    sustained: int                         # repetitions sustained
    verdict: Literal["sustained", "over", "inconclusive"]


class CapacityAt(TypedDict):
    rate: float
    levels: int
    latency_p99_ms: float | None
    completion_p99_ms: float | None
    achieved_rps: float | None
    rss_peak_mb: float | None
    cpu_mean_pct: float | None


class Risk(TypedDict):
    acknowledges: str | None               # "stored" or "accepted"; None: anyone's endpoint
    before_durable: bool | None
    text: str


class Capacity(TypedDict, total=False):
    """One target's capacity (`bench.py capacity`; results.json `capacity`)."""
    target: str
    rate: float                            # the estimate (uploads/s); "≥ rate" when bounded
    interval: list[float | None]           # [lo, hi]; hi None: no rate was judged over
    bound: Literal["slo", "generator", "max-rate"]
    decided: bool                          # False: a cap ended the search first
    slo: list[str]
    why: str                               # why the next rate failed (or the search ended)
    size_bytes: int
    work: str
    at: CapacityAt | None                  # figures at the interval's low end
    risk: Risk
    rates: list[RateVerdict]
    levels: list[CapacityLevel]            # every level measured, in order

def undeclared(record: dict, kind: type, path: str = "") -> list[str]:
    """The keys of `record` (and of its nested records) that `kind` does not declare."""
    hints = get_type_hints(kind)
    found = []
    for key, value in record.items():
        where = f"{path}.{key}" if path else key
        if key not in hints:
            found.append(where)
            continue
        nested = [t for t in getattr(hints[key], "__args__", (hints[key],)) if is_typeddict(t)]
        if not nested:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found += undeclared(item, nested[0], where)
    return found

