"""The level engine, shared by the sweep and the claims run: one `Level` (what runs, how hard,
for how long, with which settings) against one `Subject` -> one result of results.json.

A level: a Locust subprocess against the subject, its processes sampled meanwhile (and, in the
crash scenario, the target killed and restarted half-way), then the samples aggregated and the
stored bytes checked.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from loadtests import failures
from loadtests.catalog import SCENARIOS, Scenario
from loadtests.request import TUS_RETRY_DELAYS
from loadtests.samples import read_samples
from loadtests.units import format_size
from upbench import conditions
from upbench.claims.model import Arm
from upbench.config import BANDWIDTH, CHUNK_SIZE, DROP_RATE, ClaimsPlan, LoadLevel, RunConfig
from upbench.lifecycle.locust import LoadSpec, LocustProcess, MasterSpec
from upbench.lifecycle.pinning import CpuPlan
from upbench.lifecycle.processes import log_tail
from upbench.lifecycle.server import RunningTarget
from upbench.measure import aggregate, completion, generators, integrity
from upbench.measure.sampler import Series, TreeSampler
from upbench.measure.storage import StorageError
from upbench.records import ClientSummary, Crash, Result, ServerSummary, Timeline, WorkerFigures
from upbench.reporting.labels import level_label
from upbench.run.context import RunContext
from upbench.run.subject import Subject

SATURATED_PCT = 90.0  # per Locust process: near one full core
LOCUST_STARTUP_S = 1.5  # Locust's imports before the first request: the crash aims past them
TIMELINE_POINTS = 120


@dataclass(frozen=True)
class Level:
    """One load level and every setting it runs with; built from a sweep's stage or a claim's
    arm, never patched afterwards."""
    scenario: Scenario
    size: int
    load: LoadLevel
    duration: float
    warmup: float
    work: str
    processes: int = 1            # Locust processes generating the load
    bandwidth: int = BANDWIDTH
    chunk_size: int = CHUNK_SIZE
    drop_rate: float = DROP_RATE
    retry_delays: tuple[float, ...] = TUS_RETRY_DELAYS
    label: str = ""               # its samples folder; "" = scenario-size-load
    csv: bool = False             # --csv: Locust's own CSV files too
    master: MasterSpec | None = None  # --master: `bench.py worker`s generate the load

    @classmethod
    def of_stage(cls, config: RunConfig, scenario: Scenario, size: int,
                 load: LoadLevel) -> Level:
        """A level of the sweep: the run's settings for every level."""
        return cls(scenario, size, load, config.duration, config.warmup, config.work,
                   config.processes, config.bandwidth, config.chunk_size, config.drop_rate,
                   config.retry_delays, csv=config.locust_csv,
                   master=MasterSpec(config.expect_workers, config.master_bind_host,
                                     config.master_bind_port) if config.expect_workers else None)

    @classmethod
    def of_arm(cls, arm: Arm, plan: ClaimsPlan, work: str, label: str,
               duration: float | None = None) -> Level:
        """A level of the claims run: the arm says what runs (and any setting it needs other
        than the default), the plan how long — unless the run extended it (`duration`: a
        level too small for its claims' minimum sample) —, the experiment under which --work."""
        load = LoadLevel("open", rate=arm.rate) if arm.rate else \
            LoadLevel("closed", users=arm.users)
        return cls(SCENARIOS[arm.scenario], arm.size, load,
                   duration or arm.duration or plan.duration, plan.warmup, work,
                   bandwidth=arm.bandwidth, chunk_size=arm.chunk_size, drop_rate=arm.drop_rate,
                   retry_delays=arm.retry_delays, label=label, csv=plan.locust_csv)

    @property
    def name(self) -> str:
        return self.label or (f"{self.scenario.name}-{format_size(self.size)}-"
                              f"{level_label(self.load.as_dict(), short=True)}")


def run_level(ctx: RunContext, subject: Subject, level: Level) -> Result:
    """One level against `subject`: load, sample, aggregate, check what was stored."""
    spec = _load_spec(ctx, subject, level)
    locust = LocustProcess(spec)
    crash = None
    with TreeSampler(_sampled(subject, locust)) as sampler:
        if level.scenario.own_server:
            crash = _crash_midway(subject.running, level.duration)  # blocks until it is back
        code = locust.wait()
        samples = read_samples(spec.samples_dir)
        from_records = 0
        if spec.completion == "records":  # still sampled: the work after the last answer
            from_records = len(completion.awaiting(samples))
            completion.from_records(samples, subject.storage, level.scenario.poll_timeout)
    result: Result = {"target": subject.name, "scenario": level.scenario.name,
                      "size_bytes": level.size, "load": level.load.as_dict(),
                      "duration_s": level.duration, "work": level.work}
    result.update(aggregate.summarize(samples, level.duration, level.warmup))
    result["observer"] = completion.observer(samples, spec.completion, from_records)
    if not samples:
        reason = (log_tail(locust.log, 1) or "no output").strip()
        result["errors"] = {f"load generator failed (exit {code}): {reason}": 1}
    result.update(_processes(sampler, samples, subject, level, ctx.cpus, spec))
    if crash is not None:
        result["crash"] = crash
    result["failure_warning"] = failures.warning(
        result["requests"], result["failures"], result["errors"], subject.path_for(level.scenario),
        expected="expected while the target was killed and restarted" if crash else None)
    result.update(_stored(samples, subject, generators.dropped_text(result.get("workers", []))))
    if subject.notes:
        result["notes"] = list(subject.notes)
    if subject.storage is not None:
        subject.storage.clean()
    return result


def _load_spec(ctx: RunContext, subject: Subject, level: Level) -> LoadSpec:
    return LoadSpec(base_url=subject.base_url, scenario=level.scenario.name, size=level.size,
                    level=level.load, duration=level.duration, target_name=subject.name,
                    samples_dir=ctx.out / "samples" / subject.name / level.name,
                    upload_path=subject.path_for(level.scenario),
                    status_path=subject.status_path or "",
                    completion=subject.completion if subject.storage else "poll",
                    bandwidth=level.bandwidth,
                    chunk_size=level.chunk_size, drop_rate=level.drop_rate,
                    processes=level.processes, cpus=ctx.cpus.client, request=subject.request,
                    retry_delays=level.retry_delays, master=level.master,
                    csv_prefix=ctx.out / "csv" / subject.name / level.name if level.csv
                    else None)


def _sampled(subject: Subject, locust: LocustProcess) -> dict:
    """The process groups sampled during the level: the load generator always; ours: the
    pattern's own processes, and its helper services (Redis, the S3 endpoint) apart."""
    groups = {"client": lambda: locust.pids}
    running = subject.running
    if running is not None:
        groups["server"] = lambda: running.app_pids
        if running.services:
            groups["services"] = lambda: running.service_pids
    return groups


def _processes(sampler: TreeSampler, samples: list, subject: Subject, level: Level,
               cpus: CpuPlan, spec: LoadSpec) -> Result:
    """server, services, client, timeline: what the processes cost over the busy window; the
    conditions: each side's CPU against the CPUs it had (upbench/conditions.py); and where
    Locust ran distributed, its workers (per machine: share, CPU, clock, dropped)."""
    window = aggregate.busy_window(samples, level.warmup)
    # anyone's endpoint (--url): its processes are not ours to sample — the block stays, empty
    series = sampler.series.get("server", Series())
    server: ServerSummary = series.summary(window)
    server["rss_baseline_mb"] = series.baseline_mb(min((s["start"] for s in samples),
                                                       default=None))
    server["concurrency"] = subject.concurrency
    services = sampler.series.get("services")
    workers = generators.summarize(spec.samples_dir)
    out: Result = {
        "server": server,
        "services": services.summary(window) if services is not None else None,
        "client": client_summary(sampler.series["client"].summary(window), level.processes,
                                 workers if level.master else None),
        "timeline": _timeline(series)}
    if workers:
        out["workers"] = workers
    out["conditions"] = conditions.level(
        out["server"], out["client"], out["services"],
        sampler.machine.summary(window)["cpu_mean_pct"], cpus.as_dict(),
        len(os.sched_getaffinity(0)), level.processes)
    return out


def _stored(samples: list, subject: Subject, dropped: str | None = None) -> Result:
    """level_error and integrity: what the acknowledged uploads left in storage. `dropped`:
    a load worker that dropped out mid-level (the level ran short of its load)."""
    try:
        return {"level_error": dropped,
                "integrity": integrity.check(samples, subject.storage,
                                             etag_md5=subject.digest == "etag-md5")}
    except StorageError as exc:  # the backend failed, not the uploads: never "lost"
        return {"level_error": "; ".join(filter(None, (dropped,
                                                       f"storage backend error: {exc}"))),
                "integrity": integrity.unchecked(samples)}


def _crash_midway(running: RunningTarget, duration: float) -> Crash:
    """The crash scenario: half-way through the level, SIGKILL the target and restart it.

    Runs on the main thread, on purpose: children get PR_SET_PDEATHSIG, which fires when the
    *thread* that started them ends — a restart from a helper thread would be SIGTERMed as
    soon as that thread returned."""
    time.sleep(max(0.0, LOCUST_STARTUP_S + duration / 2))
    killed_at = time.time()
    running.restart()
    ready_at = time.time()
    return {"killed_at": killed_at, "ready_at": ready_at,
            "downtime_s": round(ready_at - killed_at, 3)}


def client_summary(summary: dict, processes: int,
                   remote: list[WorkerFigures] | None = None) -> ClientSummary:
    """The load generator's own cost. A Locust process runs its Python on one core at a time
    (the GIL; closed-loop users send and receive outside it), so near 100 % per process means
    the generator, not the server, set the pace. With remote workers (`--master`) the figures
    are theirs, as they reported them: mean CPU per process, saturated if any one was."""
    if remote is not None:
        cpus = [w["cpu_mean_pct"] for w in remote if w["cpu_mean_pct"] is not None]
        return {"cpu_mean_pct": round(sum(cpus) / len(cpus), 1) if cpus else None,
                "processes": sum(w["processes"] for w in remote), "remote": True,
                "saturated": any(w["saturated"] for w in remote)}
    cpu = summary.get("cpu_mean_pct") or 0.0
    return {**summary, "processes": processes,
            "saturated": cpu >= SATURATED_PCT * processes}


def _timeline(series: Series, points: int = TIMELINE_POINTS) -> Timeline:
    """Server RSS over time, thinned for the report; `t` is seconds from `t0` (epoch), so the
    report can lay it on the samples' clock (aggregate.series)."""
    if not series.t:
        return {"t": [], "rss_mb": [], "cpu_pct": []}
    step = max(1, len(series.t) // points)
    t0 = series.t[0]
    return {"t0": t0, "t": [round(t - t0, 2) for t in series.t[::step]],
            "rss_mb": [round(v, 1) for v in series.rss_mb[::step]],
            "cpu_pct": [round(v, 1) for v in series.cpu_pct[::step]]}
