"""`bench.py run`: the data flow of DESIGN.md, one target at a time.

start target -> verify (a failing target is skipped, with its checks in the report) ->
for each scenario x size x load level: Locust subprocess + process-tree sampling ->
integrity check + clean-up -> stop target. Then aggregate, write results.json, render.
"""

from __future__ import annotations

from pathlib import Path

from loadtests.catalog import SCENARIOS
from loadtests.samples import read_samples
from upbench import aggregate, integrity, pinning, registry, results
from upbench.config import LoadLevel, RunConfig
from upbench.loadrun import LoadSpec, LocustRun
from upbench.progress import Progress
from upbench.registry import Target
from upbench.sampler import Series, TreeSampler
from upbench.server import RunningTarget, ServerOptions, StartError, log_tail, serve
from upbench.storage import Storage
from upbench.units import format_size
from upbench.verify import Endpoint, verify

REPO = Path(__file__).resolve().parent.parent
SATURATED_PCT = 90.0  # per Locust process: near one full core
CRASH_POLL_TIMEOUT_S = 15.0  # work a crash dropped never completes: don't wait a minute for it
LOCUST_STARTUP_S = 1.5  # Locust's imports before the first request: the crash aims past them


def run(config: RunConfig, argv: list[str]) -> Path:
    run_id = results.new_run_id()
    out = config.out or REPO / "reports" / run_id
    out.mkdir(parents=True, exist_ok=True)
    doc = results.skeleton(run_id, ["python", "bench.py", *argv], config.as_dict())
    targets = [] if config.url else registry.select(",".join(config.targets))
    cpus = pinning.plan(config.pin, config.processes)
    doc["pinning"] = cpus.as_dict()
    steps = _plan(config, targets)
    levels = len(steps) if not config.url else \
        sum(len(stage.sizes) * len(stage.levels) for stage in config.stages)  # --url: no targets
    progress = Progress(levels, config.duration + 4, config.quiet)

    if config.url:
        _run_external(config, out, doc, progress, cpus)
    for target in targets:
        _run_target(target, [s for s in steps if s[0] == target.name], config, out, doc, progress,
                    cpus)
        results.write(doc, out / "results.json")  # partial results survive a later failure

    from upbench import findings, verdicts
    doc["verdicts"] = verdicts.evaluate(doc)
    doc["summary"] = findings.summarize(doc)
    results.write(doc, out / "results.json")
    from upbench import report
    report.render(doc, out / "index.html")
    return out


def _plan(config: RunConfig, targets: list[Target]) -> list[tuple]:
    steps = []
    for target in targets:
        for stage in config.stages:
            if not set(SCENARIOS[stage.scenario].needs) <= set(target.protocols):
                continue
            for size in stage.sizes:
                for level in stage.levels:
                    steps.append((target.name, stage.scenario, size, level))
    return steps


def _run_target(target: Target, steps: list[tuple], config: RunConfig, out: Path, doc: dict,
                progress: Progress, cpus: pinning.CpuPlan) -> None:
    options = ServerOptions(workers=config.workers, worker_class=config.worker_class,
                            max_upload=config.max_upload, work=config.work, cpus=cpus.target)
    progress.info(f"{target.name}: starting")
    try:
        with serve(target, options, out / "logs") as running:
            check = verify(target.name, Endpoint.of(running))
            doc["verify"].append(check)
            if not check["ok"]:
                failed = [c["name"] for c in check["checks"] if not c["ok"]]
                progress.warn(f"{target.name}: verify failed ({', '.join(failed)}); skipped")
                progress.done += len(steps)
                return
            running.storage.clean()
            for _, scenario, size, level in steps:
                progress.step(f"{target.name} · {scenario} · {format_size(size)} · {level.label}")
                result = run_level(running, scenario, size, level, config, out, cpus.client)
                doc["results"].append(result)
                progress.info(_one_line(result))
    except StartError as exc:
        progress.warn(f"{target.name}: did not start: {str(exc).splitlines()[0]}")
        progress.done += len(steps)
        doc["verify"].append({"target": target.name, "ok": False, "checks": [
            {"name": "start", "ok": False, "detail": str(exc)}]})


def _run_external(config: RunConfig, out: Path, doc: dict, progress: Progress,
                  cpus: pinning.CpuPlan) -> None:
    """`--url`: anyone's endpoint. No /health, no status endpoint, no disk: those parts are
    skipped and the result says so."""
    from urllib.parse import urlsplit

    parts = urlsplit(config.url)
    name = config.name or parts.netloc
    base = f"{parts.scheme}://{parts.netloc}"
    tus_only = all(stage.scenario == "resumable" for stage in config.stages)
    endpoint = Endpoint(base, upload_path=parts.path or "/", status_path=None, health_path=None,
                        multipart=not tus_only,
                        tus_path=parts.path or "/" if any(
                            stage.scenario == "resumable" for stage in config.stages) else None)
    check = verify(name, endpoint)
    doc["verify"].append(check)
    if not check["ok"]:
        progress.warn(f"{name}: verify failed; skipped")
        return
    for stage in config.stages:
        scenario = stage.scenario
        if scenario in ("mixed", "crash"):
            progress.warn(f"{name}: scenario '{scenario}' needs "
                          + ("/health" if scenario == "mixed" else "a server upbench runs")
                          + "; skipped")
            continue
        for size in stage.sizes:
            for level in stage.levels:
                progress.step(f"{name} · {scenario} · {format_size(size)} · {level.label}")
                spec = _load_spec(config, base, name, scenario, size, level, out,
                                  upload_path=endpoint.upload_path, status_path="",
                                  cpus=cpus.client)
                result = _measure(spec, config, server_pids=list, storage=None)
                result["notes"] = ["external endpoint: no status polling, no disk check, "
                                   "no server sampling"]
                doc["results"].append(result)
                progress.info(_one_line(result))


def run_level(running: RunningTarget, scenario: str, size: int, level: LoadLevel,
              config: RunConfig, out: Path, client_cpus: frozenset[int] | None = None) -> dict:
    upload_path = "/files/" if scenario == "resumable" else "/upload"
    spec = _load_spec(config, running.url, running.target.name, scenario, size, level, out,
                      upload_path=upload_path, cpus=client_cpus)
    disrupt = _crash_midway(running, config.duration) if scenario == "crash" else None
    return _measure(spec, config, server_pids=lambda: running.app_pids,
                    storage=running.storage, disrupt=disrupt,
                    service_pids=(lambda: running.service_pids) if running.services else None)


def _crash_midway(running: RunningTarget, duration: float):
    """The crash scenario: half-way through the level, SIGKILL the target and restart it.

    Runs on the main thread, on purpose: children get PR_SET_PDEATHSIG, which fires when the
    *thread* that started them ends — a restart from a helper thread would be SIGTERMed as
    soon as that thread returned."""
    import time

    report: dict = {}

    def crash() -> None:
        time.sleep(max(0.0, LOCUST_STARTUP_S + duration / 2))
        report["killed_at"] = time.time()
        running.restart()
        report["ready_at"] = time.time()
        report["downtime_s"] = round(report["ready_at"] - report["killed_at"], 3)

    return crash, report


def _load_spec(config: RunConfig, base_url: str, name: str, scenario: str, size: int,
               level: LoadLevel, out: Path, upload_path: str = "/upload",
               status_path: str = "/uploads/{id}", cpus: frozenset[int] | None = None) -> LoadSpec:
    label = f"{scenario}-{format_size(size)}-{level.label.replace(' ', '').replace('/', 'per')}"
    return LoadSpec(base_url=base_url, scenario=scenario, size=size, level=level,
                    duration=config.duration, target_name=name,
                    samples_dir=out / "samples" / name / label, upload_path=upload_path,
                    status_path=status_path, bandwidth=config.bandwidth,
                    chunk_size=config.chunk_size, drop_rate=config.drop_rate,
                    poll_timeout=CRASH_POLL_TIMEOUT_S if scenario == "crash" else 60.0,
                    processes=config.processes, cpus=cpus)


def _measure(spec: LoadSpec, config: RunConfig, server_pids, storage: Storage | None,
             disrupt=None, service_pids=None) -> dict:
    locust = LocustRun(spec)
    groups = {"server": server_pids, "client": lambda: locust.pids}
    if service_pids:
        groups["services"] = service_pids
    with TreeSampler(groups) as sampler:
        if disrupt:
            disrupt[0]()  # blocks until the target is back
        code = locust.wait()
    samples = read_samples(spec.samples_dir)
    result = {"target": spec.target_name, "scenario": spec.scenario, "size_bytes": spec.size,
              "load": spec.level.as_dict(), "duration_s": spec.duration}
    result.update(aggregate.summarize(samples, spec.duration, config.warmup))
    if not samples:
        reason = (log_tail(locust.log, 1) or "no output").strip()
        result["errors"] = {f"load generator failed (exit {code}): {reason}": 1}
    server, client = sampler.series["server"], sampler.series["client"]
    window = aggregate.busy_window(samples, config.warmup)
    # anyone's endpoint (--url): its processes are not ours to sample — the block stays, empty
    result["server"] = (server if storage is not None else Series()).summary(window)
    # Redis, the S3 endpoint: infrastructure, reported apart from the pattern's own processes
    result["services"] = (sampler.series["services"].summary(window) if "services" in groups
                          else None)
    result["client"] = client_summary(client.summary(window), spec.processes)
    result["timeline"] = _timeline(server)
    if disrupt:
        result["crash"] = disrupt[1]
    result["integrity"] = integrity.check(samples, storage)
    if storage is not None:
        storage.clean()
    return result


def client_summary(summary: dict, processes: int) -> dict:
    """The load generator's own cost. A Locust process runs its Python on one core at a time
    (the GIL; closed-loop users send and receive outside it), so near 100 % per process means
    the generator, not the server, set the pace."""
    cpu = summary.get("cpu_mean_pct") or 0.0
    return {**summary, "processes": processes,
            "saturated": cpu >= SATURATED_PCT * processes}


def _timeline(series, points: int = 120) -> dict:
    """Server RSS over time, thinned for the report."""
    if not series.t:
        return {"t": [], "rss_mb": [], "cpu_pct": []}
    step = max(1, len(series.t) // points)
    t0 = series.t[0]
    return {"t": [round(t - t0, 2) for t in series.t[::step]],
            "rss_mb": [round(v, 1) for v in series.rss_mb[::step]],
            "cpu_pct": [round(v, 1) for v in series.cpu_pct[::step]]}


def _one_line(r: dict) -> str:
    lat = r["latency_ms"] or {}
    rss = (r["server"] or {}).get("rss_peak_mb")
    return (f"{r['throughput']['rps']:.1f} req/s  {r['throughput']['mbps']:.1f} MB/s  "
            f"p50 {lat.get('p50', '-')} ms  p99 {lat.get('p99', '-')} ms  "
            f"failures {r['failures']}/{r['requests']}"
            + (f"  server RSS peak {rss} MB" if rss is not None else "")
            + ("  [load generator saturated]" if r["client"]["saturated"] else ""))
