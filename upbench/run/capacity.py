"""`bench.py capacity`: per target, the highest upload rate it sustains under the SLOs, found
by search (upbench/run/capacity_search.py) with its interval.

Every level is an open-loop level of the `upload` scenario run by the run's own level engine
(`upbench.run.level`: a Locust subprocess keeping a timetable, latency from the intended start,
the server's process tree sampled), judged by upbench/measure/sustain.py. Before the next level, work
a 202 target accepted but had not finished when Locust stopped is waited for (its status
endpoint polled): a queue left over would slow the next level down.

results.json: `results` stays empty (the search's levels are not a sweep `compare` should
match rate by rate); `capacity` holds one record per target with every level it measured.
"""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from loadtests.catalog import SCENARIOS
from loadtests.http import Connection
from loadtests.request import mask_argv
from loadtests.samples import read_samples
from loadtests.units import format_size
from loadtests.upload import final_state, parse_json
from targets.spec import Target
from upbench import registry
from upbench.config import CapacityPlan, LoadLevel, RunConfig
from upbench.lifecycle.server import ServerOptions
from upbench.measure import sustain
from upbench.progress import Progress
from upbench.records import Capacity
from upbench.reporting import capacity as report
from upbench.reporting import html
from upbench.run.capacity_search import Search
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.start import start_verified
from upbench.run.subject import Subject
from upbench.run.sweep import external_subject, verified_external

LEVELS_GUESS = 15     # levels a search takes, for the progress line's time left
DRAIN_S = 60.0        # longest wait for a 202 target's leftover work between two levels


def run_capacity(plan: CapacityPlan, config: RunConfig, argv: list[str],
                 targets: dict[str, Target] | None = None) -> Path:
    """Every target's search; returns the run's folder. `targets` replaces the registry's."""
    known = targets or registry.discover()
    chosen = [] if config.url else [known[name] for name in config.targets]
    ctx = RunContext.open(mask_argv(argv), config.as_dict(), config.out, config.pin,
                          config.processes, Progress(max(len(chosen), 1) * LEVELS_GUESS,
                                                     config.duration + 5, config.quiet))
    ctx.doc["capacity_plan"] = plan.as_dict()
    ctx.doc["capacity"] = []
    if config.url:
        subject = verified_external(ctx, config, external_subject(config))
        if subject is not None:
            search(ctx, plan, config, subject, None)
    for target in chosen:
        options = ServerOptions(workers=config.workers, worker_class=config.worker_class,
                                max_upload=config.max_upload, work=config.work,
                                cpus=ctx.cpus.target)
        with ExitStack() as stack:
            subject, check = start_verified(stack, target, options, ctx.out / "logs",
                                            ctx.progress)
            ctx.verified(check)
            if subject is None:
                ctx.progress.skip(LEVELS_GUESS)
            else:
                search(ctx, plan, config, subject, target)
        ctx.save()
    ctx.doc["summary"] = report.summary(ctx.doc)  # no claim is judged from a search
    ctx.save()
    html.render(ctx.doc, ctx.out / "index.html")
    return ctx.out


def search(ctx: RunContext, plan: CapacityPlan, config: RunConfig, subject: Subject,
           target: Target | None) -> None:
    """One target's search; its record joins the document (and is saved) when it ends."""
    reps: dict[float, int] = {}

    def measure(rate: float) -> dict:
        reps[rate] = reps.get(rate, 0) + 1
        return measure_level(ctx, plan, config, subject, rate, reps[rate])

    found = Search(plan.search, measure, say=ctx.progress.info).run()
    record: Capacity = {"target": subject.name, **found, "slo": [str(s) for s in plan.slos],
                        "size_bytes": plan.size, "work": config.work,
                        "at": at_capacity(found), "risk": risk(target)}
    ctx.doc["capacity"].append(record)
    ctx.progress.info(report.headline(record))
    ctx.save()


def measure_level(ctx: RunContext, plan: CapacityPlan, config: RunConfig, subject: Subject,
                  rate: float, rep: int) -> dict:
    level = Level(SCENARIOS[plan.scenario], plan.size, LoadLevel("open", rate=rate), config.duration,
                  config.warmup, config.work, config.processes,
                  label=f"capacity-{rate:g}-{rep}")
    ctx.progress.step(f"{subject.name} · {format_size(plan.size)} · {rate:g}/s · "
                      f"repetition {rep}")
    result = run_level(ctx, subject, level)
    samples = read_samples(ctx.out / "samples" / subject.name / level.name)  # run_level's
    moved = sustain.backlog(samples, config.duration, config.warmup)
    verdict = sustain.judge(result, list(plan.slos), moved, config.duration - config.warmup)
    found = {"rate": rate, **verdict, **figures(result), "backlog": moved,
             "undrained": drain(subject, samples)}
    ctx.progress.info(report.level_line(found))
    return found


def figures(result: dict) -> dict:
    """What the report draws and ranks by, from one level's result."""
    def pick(block: str) -> dict | None:
        d = result.get(block)
        return {k: d[k] for k in ("p50", "p90", "p99")} if d else None

    server, ol = result.get("server") or {}, result.get("open_loop") or {}
    return {"requests": result.get("requests", 0), "failures": result.get("failures", 0),
            "achieved_rps": (result.get("throughput") or {}).get("rps"),
            "latency_ms": pick("latency_ms"), "ttfb_ms": pick("ttfb_ms"),
            "completion_ms": pick("completion_ms"),
            "server": {"rss_peak_mb": server.get("rss_peak_mb"),
                       "cpu_mean_pct": server.get("cpu_mean_pct")},
            "client_cpu_pct": (result.get("client") or {}).get("cpu_mean_pct"),
            "start_delay_p95_ms": (ol.get("start_delay_ms") or {}).get("p95"),
            "dropped": ol.get("dropped"), "level_error": result.get("level_error")}


def drain(subject: Subject, samples: list[dict]) -> int:
    """Wait (up to DRAIN_S) for accepted uploads whose completion Locust did not see; the
    number still unfinished after it (0: the target is idle again)."""
    pending = [s for s in samples if s.get("upload_id") and s["done"] is None
               and s["status"] == 202 and subject.status_path]
    if not pending:
        return 0
    deadline = time.monotonic() + DRAIN_S
    conn = Connection(subject.base_url, timeout=5.0,
                      tls=subject.request.tls_context() if subject.base_url.startswith("https")
                      else None)
    try:
        left = list(pending)
        while left and time.monotonic() < deadline:
            path = subject.status_path.replace("{id}", str(left[0]["upload_id"]))
            ex = conn.request("GET", path, subject.request.request_headers())
            if ex.error or final_state(ex.status, parse_json(ex.body)):
                left.pop(0)
            else:
                time.sleep(0.05)
        return len(left)
    finally:
        conn.close()


def at_capacity(found: dict) -> dict | None:
    """Median figures over the levels at the highest sustained rate (the interval's low end)."""
    lo = found["interval"][0]
    levels = [lv for lv in found["levels"] if lv["rate"] == lo and not lv.get("generator")]
    if not levels:
        return None

    def med(get) -> float | None:
        values = [v for v in map(get, levels) if v is not None]
        return round(statistics.median(values), 3) if values else None

    return {"rate": lo, "levels": len(levels),
            "latency_p99_ms": med(lambda lv: (lv["latency_ms"] or {}).get("p99")),
            "completion_p99_ms": med(lambda lv: (lv["completion_ms"] or {}).get("p99")),
            "achieved_rps": med(lambda lv: lv["achieved_rps"]),
            "rss_peak_mb": med(lambda lv: lv["server"]["rss_peak_mb"]),
            "cpu_mean_pct": med(lambda lv: lv["server"]["cpu_mean_pct"])}


def risk(target: Target | None) -> dict:
    """The pattern's integrity risk, from its spec: does it acknowledge before the bytes are
    durable? Anyone's endpoint: unknown."""
    if target is None:
        return {"acknowledges": None, "before_durable": None, "text": "unknown (anyone's endpoint)"}
    early = not target.durable_at_ack
    text = ("acknowledged before durable: a crash after the answer loses the upload" if early
            else "stored before the answer" + (" (the work follows later)"
                                               if target.acknowledges == "accepted" else ""))
    return {"acknowledges": target.acknowledges, "before_durable": early, "text": text}
