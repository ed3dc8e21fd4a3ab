"""`bench.py run`: the sweep — every planned scenario x size x load level, one target at a time.

start target -> verify (a failing target is skipped, with its checks in the report) ->
for each level: upbench.run.level.run_level -> stop target. Then judge, summarise, write
results.json, render (RunContext.finish). The data flow and the contracts: docs/contracts.md.

Our targets and anyone's endpoint (`--url`) go through the same level loop: a `Subject` says
what can be reached and which scenarios it can run (upbench.run.subject).
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from pathlib import Path

from loadtests.catalog import SCENARIOS
from loadtests.request import mask_argv
from loadtests.units import format_size
from targets.spec import Target
from upbench import claims, registry
from upbench.config import RunConfig
from upbench.lifecycle.locust import MasterSpec, farewell
from upbench.lifecycle.server import ServerOptions
from upbench.progress import Progress
from upbench.reporting.labels import level_label
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.start import start_verified
from upbench.run.subject import Subject
from upbench.run.verify import skipped_verify, verify

LEVEL_OVERHEAD_S = 4  # per level beyond its duration: Locust's start, the integrity check


def run_sweep(config: RunConfig, argv: list[str]) -> Path:
    """The whole sweep; returns its folder (results.json, index.html, samples)."""
    targets = [] if config.url else registry.select(",".join(config.targets))
    subjects = [Subject.planned(t) for t in targets] if targets else [external_subject(config)]
    plans = {s.name: plan_levels(config, s) for s in subjects}
    ctx = RunContext.open(mask_argv(argv), config.as_dict(), config.out, config.pin,
                          config.processes, Progress(sum(map(len, plans.values())) * config.repeat,
                                                     config.duration + LEVEL_OVERHEAD_S,
                                                     config.quiet))
    try:
        if config.url:
            _sweep_external(ctx, config, subjects[0], plans[subjects[0].name])
        elif config.repeat > 1:
            _sweep_interleaved(ctx, config, targets, plans)
        else:
            for target in targets:
                with ExitStack() as stack:
                    subject = _start(ctx, stack, config, target, len(plans[target.name]))
                    if subject is not None:
                        run_levels(ctx, subject, plans[target.name])
                ctx.save()
    finally:
        if config.expect_workers:  # the `bench.py worker`s wait for another level: none comes
            farewell(MasterSpec(config.expect_workers, config.master_bind_host,
                                config.master_bind_port), ctx.out / "logs" / "farewell.log")
    ctx.finish(claims.CLAIMS.values())
    return ctx.out


def _start(ctx: RunContext, stack: ExitStack, config: RunConfig, target: Target,
           levels: int) -> Subject | None:
    """Start and verify a target (stopped with `stack`); None when it is skipped. With remote
    load workers (--master) it listens where they reach this machine."""
    options = ServerOptions(workers=config.workers, worker_class=config.worker_class,
                            max_upload=config.max_upload, work=config.work,
                            cpus=ctx.cpus.target,
                            host=config.master_bind_host if config.expect_workers
                            else "127.0.0.1")
    subject, check = start_verified(stack, target, options, ctx.out / "logs", ctx.progress)
    ctx.verified(check)
    if subject is None:
        ctx.progress.skip(levels)
    return subject


def _sweep_interleaved(ctx: RunContext, config: RunConfig, targets: list[Target],
                       plans: dict[str, list[Level]]) -> None:
    """`--repeat N`: every target started at once, then each level run N times, its targets
    in turn — A B, then B A, ... as the claims run does — so a shared machine's drift hits
    them alike and `compare` gets one measurement of each level's noise per repetition."""
    with ExitStack() as stack:
        subjects = [s for t in targets if (s := _start(ctx, stack, config, t,
                                                       len(plans[t.name]) * config.repeat))]
        rows = [[(s, level) for s in subjects if level in plans[s.name]]
                for level in dict.fromkeys(lv for s in subjects for lv in plans[s.name])]
        for rep in range(1, config.repeat + 1):
            for row in rows:
                for subject, level in row if rep % 2 else row[::-1]:
                    run_levels(ctx, subject, [level], rep)
            ctx.save()


def external_subject(config: RunConfig) -> Subject:
    """Anyone's endpoint (`--url`), as the plan describes it."""
    return Subject.external(config.url, config.name, config.request, config.status_url,
                            config.url_limit, [SCENARIOS[s.scenario] for s in config.stages])


def _sweep_external(ctx: RunContext, config: RunConfig, subject: Subject,
                    levels: list[Level]) -> None:
    verified = verified_external(ctx, config, subject)
    if verified is None:
        ctx.progress.skip(len(levels) * config.repeat)
        return
    for rep in range(1, config.repeat + 1):
        run_levels(ctx, verified, levels, rep if config.repeat > 1 else None)


def verified_external(ctx: RunContext, config: RunConfig, subject: Subject) -> Subject | None:
    """Anyone's endpoint: verify is advisory there (what can be checked from outside, each
    check reported); only uploads that fail outright skip the measurement (None)."""
    check = verify(subject) if config.verify else skipped_verify(subject.name)
    ctx.verified(check)
    subject = dataclasses.replace(subject, digest=check.get("digest"))
    for item in check["checks"]:
        if item.get("advisory") and not item["ok"]:
            ctx.progress.warn(f"{subject.name}: {item['name']}: {item['detail']}")
    if check["ok"]:
        return subject
    failed = [c for c in check["checks"] if not c["ok"] and not c.get("advisory")]
    ctx.progress.warn(f"{subject.name}: verify failed ({failed[0]['name']} "
                      f"{failed[0]['detail'][:160]}"
                      + (f"; {len(failed) - 1} more" if len(failed) > 1 else "")
                      + "); skipped")
    return None


def plan_levels(config: RunConfig, subject: Subject) -> list[Level]:
    """Every level of every stage whose protocols `subject` speaks (a tus-only scenario is no
    level of a multipart target). Other needs it lacks are said when the level comes up."""
    return [Level.of_stage(config, SCENARIOS[stage.scenario], size, load)
            for stage in config.stages if subject.speaks(SCENARIOS[stage.scenario])
            for size in stage.sizes for load in stage.levels]


def run_levels(ctx: RunContext, subject: Subject, levels: list[Level],
               repetition: int | None = None) -> None:
    """Each level against `subject`; `repetition` (of `run --repeat N`) keeps their samples
    apart and is recorded in each result."""
    for level in levels:
        why = subject.missing(level.scenario)
        if why:
            ctx.progress.warn(f"{subject.name}: scenario '{level.scenario.name}' {why}; skipped")
            ctx.progress.skip(1)
            continue
        ctx.progress.step(f"{subject.name} · {level.scenario.name} · {format_size(level.size)}"
                          f" · {level_label(level.load.as_dict())}"
                          + (f" · repetition {repetition}" if repetition else ""))
        if repetition:
            level = dataclasses.replace(level, label=f"{level.name}-rep{repetition}")
        result = run_level(ctx, subject, level)
        if repetition:
            result["repetition"] = repetition
        ctx.record(result)
