"""`bench.py run`: the data flow of DESIGN.md, one target at a time.

start target -> verify (a failing target is skipped, with its checks in the report) ->
for each scenario x size x load level: Locust subprocess + process-tree sampling ->
integrity check + clean-up -> stop target. Then aggregate, write results.json, render.

Our targets and anyone's endpoint (`--url`) go through the same level loop: a `Subject` says
what can be reached (its processes to sample, its storage, a restart), and each scenario says
what it needs (loadtests/catalog.py); the runner only compares the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from loadtests import failures
from loadtests.catalog import SCENARIOS, Scenario
from loadtests.request import RequestSpec, mask_argv
from loadtests.samples import read_samples
from loadtests.units import format_size
from targets.spec import PROTOCOLS, Target
from upbench import registry
from upbench.config import LoadLevel, RunConfig
from upbench.lifecycle import pinning
from upbench.lifecycle.locust import LoadSpec, LocustRun
from upbench.lifecycle.processes import StartError, log_tail
from upbench.lifecycle.server import RunningTarget, ServerOptions, serve
from upbench.measure import aggregate, integrity
from upbench.measure.sampler import Series, TreeSampler
from upbench.measure.storage import Storage, StorageError
from upbench.paths import reports_dir
from upbench.progress import Progress
from upbench.records import Result
from upbench.reporting import findings, html, results, verdicts
from upbench.reporting.labels import level_label, one_line
from upbench.run.verify import Endpoint, skipped_verify, verify

SATURATED_PCT = 90.0  # per Locust process: near one full core
LOCUST_STARTUP_S = 1.5  # Locust's imports before the first request: the crash aims past them


@dataclass
class Run:
    """What every level of one run shares: the plan, where it writes, the document it fills."""
    config: RunConfig
    out: Path
    doc: dict
    progress: Progress
    cpus: pinning.CpuPlan

    def record(self, result: Result) -> None:
        self.doc["results"].append(result)
        self.progress.info(one_line(result))

    def save(self) -> None:
        results.write(self.doc, self.out / "results.json")  # partial results survive a failure


@dataclass
class Subject:
    """What a level is run against: one of our running targets, or anyone's endpoint."""
    name: str
    base_url: str
    protocols: tuple[str, ...]
    upload_path: str | None = None      # anyone's endpoint: its URL's path for every scenario
    status_path: str = "/uploads/{id}"  # "" = nothing to poll
    has_health: bool = True
    running: RunningTarget | None = None  # ours: processes, storage, restart
    concurrency: int | None = None      # uploads it can hold at once (sync workers); None: any
    notes: list[str] = field(default_factory=list)
    request: RequestSpec = RequestSpec()  # anyone's endpoint: how it wants its uploads
    digest: str | None = None   # what verify found the answers carry ("etag-md5": trust ETags)

    @classmethod
    def of(cls, running: RunningTarget, options: ServerOptions) -> Subject:
        target = running.target
        sync = target.server == "gunicorn" and (options.worker_class or target.worker_class) \
            == "sync"
        return cls(target.name, running.url, target.protocols, running=running,
                   concurrency=options.workers if sync else None)

    @classmethod
    def external(cls, config: RunConfig) -> Subject:
        """Anyone's endpoint: its URL (credentials already split off by the plan) gives the
        origin and the path every scenario uploads to, query string included."""
        parts = urlsplit(config.url)
        host = parts.netloc.rpartition("@")[2]
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(config.name or host, f"{parts.scheme}://{host}", PROTOCOLS,
                   upload_path=path, status_path=config.status_url or "", has_health=False,
                   request=config.request,
                   notes=["external endpoint: no disk check, no server sampling"
                          + ("" if config.status_url else ", no completion polling")])

    def missing(self, scenario: Scenario) -> str | None:
        """Why this subject cannot run `scenario`, or None when it can."""
        if not set(scenario.needs) <= set(self.protocols):
            return f"needs {'/'.join(scenario.needs)}"
        if scenario.needs_health and not self.has_health:
            return "needs /health"
        if scenario.own_server and self.running is None:
            return "needs a server upbench runs"
        return None

    def path_for(self, scenario: Scenario) -> str:
        return self.upload_path or scenario.upload_path

    @property
    def storage(self) -> Storage | None:
        return self.running.storage if self.running else None


def run(config: RunConfig, argv: list[str]) -> Path:
    run_id = results.new_run_id()
    out = config.out or reports_dir() / run_id
    out.mkdir(parents=True, exist_ok=True)
    doc = results.skeleton(run_id, ["python", "bench.py", *mask_argv(argv)], config.as_dict())
    cpus = pinning.plan(config.pin, config.processes)
    doc["pinning"] = cpus.as_dict()
    targets = [] if config.url else registry.select(",".join(config.targets))
    steps = [step for target in targets for step in plan_levels(config, target.protocols)] \
        if targets else plan_levels(config, PROTOCOLS)
    ctx = Run(config, out, doc, Progress(len(steps), config.duration + 4, config.quiet), cpus)

    if config.url:
        run_external(ctx)
    for target in targets:
        with_target(ctx, target, ServerOptions(
            workers=config.workers, worker_class=config.worker_class,
            max_upload=config.max_upload, work=config.work, cpus=cpus.target),
            lambda subject: run_levels(ctx, subject, plan_levels(config, subject.protocols)),
            skipped_levels=len(plan_levels(config, target.protocols)))
        ctx.save()
    finish(ctx)
    return out


def run_external(ctx: Run) -> None:
    """Anyone's endpoint: verify is advisory there (what can be checked from outside, each
    check reported); only uploads that fail outright skip the measurement."""
    config = ctx.config
    subject = Subject.external(config)
    levels = plan_levels(config, subject.protocols)
    if config.verify:
        check = verify(subject.name, Endpoint.external(
            config.url, _tus_only(config), config.request, subject.status_path or None,
            config.url_limit))
    else:
        check = skipped_verify(subject.name)
    ctx.doc["verify"].append(check)
    subject.digest = check.get("digest")
    for item in check["checks"]:
        if item.get("advisory") and not item["ok"]:
            ctx.progress.warn(f"{subject.name}: {item['name']}: {item['detail']}")
    if check["ok"]:
        run_levels(ctx, subject, levels)
    else:
        failed = [c for c in check["checks"] if not c["ok"] and not c.get("advisory")]
        ctx.progress.warn(f"{subject.name}: verify failed ({failed[0]['name']} "
                          f"{failed[0]['detail'][:160]}"
                          + (f"; {len(failed) - 1} more" if len(failed) > 1 else "")
                          + "); skipped")
        ctx.progress.skip(len(levels))


def finish(ctx: Run) -> None:
    ctx.doc["verdicts"] = verdicts.evaluate(ctx.doc)
    ctx.doc["summary"] = findings.summarize(ctx.doc)
    ctx.save()
    html.render(ctx.doc, ctx.out / "index.html")


def plan_levels(config: RunConfig, protocols: tuple[str, ...]) -> list[tuple]:
    """(scenario, size, load level) of every stage a subject with these protocols can run."""
    return [(SCENARIOS[stage.scenario], size, level) for stage in config.stages
            if set(SCENARIOS[stage.scenario].needs) <= set(protocols)
            for size in stage.sizes for level in stage.levels]


def _tus_only(config: RunConfig) -> bool | None:
    """--url: which checks verify runs (True: tus only, False: multipart only, None: both)."""
    tus = {bool(SCENARIOS[s.scenario].needs == ("tus",)) for s in config.stages}
    return None if len(tus) > 1 else tus.pop()


def with_target(ctx: Run, target: Target, options: ServerOptions,
                body: Callable[[Subject], None], skipped_levels: int = 0) -> bool:
    """Start the target, verify it, and run `body` against it; False when it was skipped.
    Only starting counts as "did not start": an error while measuring is not caught here."""
    ctx.progress.info(f"{target.name}: starting" + (f" (work {options.work})"
                                                    if options.work != ctx.config.work else ""))
    try:
        with serve(target, options, ctx.out / "logs") as running:
            check = verify(target.name, Endpoint.of(running))
            ctx.doc["verify"].append(check)
            if not check["ok"]:
                failed = [c["name"] for c in check["checks"] if not c["ok"]]
                ctx.progress.warn(f"{target.name}: verify failed ({', '.join(failed)}); skipped")
                ctx.progress.skip(skipped_levels)
                return False
            running.storage.clean()
            body(Subject.of(running, options))
            return True
    except StartError as exc:
        ctx.progress.warn(f"{target.name}: did not start: {str(exc).splitlines()[0]}")
        ctx.progress.skip(skipped_levels)
        ctx.doc["verify"].append({"target": target.name, "ok": False, "checks": [
            {"name": "start", "ok": False, "detail": str(exc)}]})
        return False


def run_levels(ctx: Run, subject: Subject, levels: list[tuple]) -> None:
    for scenario, size, load in levels:
        why = subject.missing(scenario)
        if why:
            ctx.progress.warn(f"{subject.name}: scenario '{scenario.name}' {why}; skipped")
            ctx.progress.skip(1)
            continue
        ctx.progress.step(f"{subject.name} · {scenario.name} · {format_size(size)} · "
                          f"{level_label(load.as_dict())}")
        ctx.record(run_level(ctx, subject, scenario, size, load))


def run_level(ctx: Run, subject: Subject, scenario: Scenario, size: int, load: LoadLevel,
              label: str = "", config: RunConfig | None = None) -> Result:
    """One load level: a Locust subprocess against `subject`, its processes sampled meanwhile,
    then the integrity check. `label` keeps repeated levels' samples apart; `config` overrides
    the run's settings for this level (the claims' arms)."""
    config = config or ctx.config
    name = f"{scenario.name}-{format_size(size)}-{level_label(load.as_dict(), short=True)}"
    spec = LoadSpec(base_url=subject.base_url, scenario=scenario.name, size=size, level=load,
                    duration=config.duration, target_name=subject.name,
                    samples_dir=ctx.out / "samples" / subject.name / (label or name),
                    upload_path=subject.path_for(scenario), status_path=subject.status_path,
                    bandwidth=config.bandwidth, chunk_size=config.chunk_size,
                    drop_rate=config.drop_rate, processes=config.processes,
                    cpus=ctx.cpus.client, request=subject.request,
                    retry_delays=config.retry_delays)
    running = subject.running
    locust = LocustRun(spec)
    groups = {"client": lambda: locust.pids}
    if running is not None:
        groups["server"] = lambda: running.app_pids
        if running.services:
            groups["services"] = lambda: running.service_pids
    crash = None
    with TreeSampler(groups) as sampler:
        if scenario.own_server:
            crash = _crash_midway(running, config.duration)  # blocks until the target is back
        code = locust.wait()
    samples = read_samples(spec.samples_dir)
    result: Result = {"target": subject.name, "scenario": scenario.name, "size_bytes": size,
                      "load": load.as_dict(), "duration_s": config.duration, "work": config.work}
    result.update(aggregate.summarize(samples, config.duration, config.warmup))
    if not samples:
        reason = (log_tail(locust.log, 1) or "no output").strip()
        result["errors"] = {f"load generator failed (exit {code}): {reason}": 1}
    window = aggregate.busy_window(samples, config.warmup)
    # anyone's endpoint (--url): its processes are not ours to sample — the block stays, empty
    server = sampler.series.get("server", Series())
    result["server"] = server.summary(window)
    result["server"]["rss_baseline_mb"] = server.baseline_mb(
        min((s["start"] for s in samples), default=None))
    result["server"]["concurrency"] = subject.concurrency
    # Redis, the S3 endpoint: infrastructure, reported apart from the pattern's own processes
    result["services"] = sampler.series["services"].summary(window) \
        if "services" in groups else None
    result["client"] = client_summary(sampler.series["client"].summary(window), config.processes)
    result["timeline"] = _timeline(server)
    if crash is not None:
        result["crash"] = crash
    result["failure_warning"] = failures.warning(
        result["requests"], result["failures"], result["errors"], subject.path_for(scenario),
        expected="expected while the target was killed and restarted" if crash else None)
    result["level_error"] = None
    try:
        result["integrity"] = integrity.check(samples, subject.storage,
                                              etag_md5=subject.digest == "etag-md5")
    except StorageError as exc:  # the backend failed, not the uploads: never "lost"
        result["integrity"] = integrity.unchecked(samples)
        result["level_error"] = f"storage backend error: {exc}"
    if subject.notes:
        result["notes"] = list(subject.notes)
    if subject.storage is not None:
        subject.storage.clean()
    return result


def _crash_midway(running: RunningTarget, duration: float) -> dict:
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


def client_summary(summary: dict, processes: int) -> dict:
    """The load generator's own cost. A Locust process runs its Python on one core at a time
    (the GIL; closed-loop users send and receive outside it), so near 100 % per process means
    the generator, not the server, set the pace."""
    cpu = summary.get("cpu_mean_pct") or 0.0
    return {**summary, "processes": processes,
            "saturated": cpu >= SATURATED_PCT * processes}


def _timeline(series: Series, points: int = 120) -> dict:
    """Server RSS over time, thinned for the report; `t` is seconds from `t0` (epoch), so the
    report can lay it on the samples' clock (aggregate.series)."""
    if not series.t:
        return {"t": [], "rss_mb": [], "cpu_pct": []}
    step = max(1, len(series.t) // points)
    t0 = series.t[0]
    return {"t0": t0, "t": [round(t - t0, 2) for t in series.t[::step]],
            "rss_mb": [round(v, 1) for v in series.rss_mb[::step]],
            "cpu_pct": [round(v, 1) for v in series.cpu_pct[::step]]}
