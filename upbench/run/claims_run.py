"""`python bench.py [--claims a,b] [--quick]`: the claims run — every selected claim's
experiment, repeated and interleaved, until its verdict is decided or its repetitions run out.

Experiments are grouped by the servers' `--work` (a phase): the targets of a phase are all
started once, so the arms of an experiment can be interleaved — A B in odd repetitions, B A
in even ones (slow drift of a shared machine then hits both sides alike). After the minimum
repetitions, an experiment is repeated again only while one of its claims is still
inconclusive because its interval straddles the threshold, up to a cap and a time budget:
clear claims cost little, close ones get the time. The `survey` (every target once, for the
summary and plots) runs in the first phase.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from targets.spec import Target
from upbench import registry
from upbench.claims import experiments, select
from upbench.claims.judge import judge
from upbench.claims.model import Arm, Claim, Experiment
from upbench.config import PIN, ClaimsPlan
from upbench.lifecycle.server import ServerOptions
from upbench.progress import Progress
from upbench.run.browser_levels import BrowserLevels
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.start import start_verified
from upbench.run.subject import Subject

SURVEY_LEVEL = (1_000_000, 8)  # size, users: every target once, for the summary and plots
LEVEL_OVERHEAD_S = 1  # per level beyond its duration, in the time-left estimate
LOCUST_PROCESSES = 1  # per level (Level's default): what CPU pinning plans for


def run_claims(plan: ClaimsPlan, argv: list[str], targets: dict[str, Target] | None = None,
               claim_list: list[Claim] | None = None) -> Path:
    """`targets` and `claim_list` replace the registry's (the tests' known-truth servers).
    Returns the run's folder (results.json, index.html, samples)."""
    claim_list = claim_list if claim_list is not None else select(",".join(plan.claims))
    targets = targets or registry.discover()
    survey = plan.survey and not plan.claims
    phases = _phases(claim_list, survey)
    estimate = sum(len(e.arms) for exps in phases.values() for e in exps) * plan.min_repetitions
    estimate += len(targets) if survey else 0
    arm_targets = tuple(sorted({a.target for c in claim_list for a in c.experiment.arms.values()}))
    ctx = RunContext.open(argv, plan.config_record(arm_targets), plan.out, PIN,
                          LOCUST_PROCESSES,
                          Progress(estimate, plan.duration + LEVEL_OVERHEAD_S, plan.quiet))
    ctx.doc["claims_run"] = plan.as_dict() | {"claims": [c.id for c in claim_list]}
    began = time.monotonic()
    with BrowserLevels(plan.browser) as browser:  # launched on the first browser arm
        for work, exps in phases.items():
            needed = {arm.target for e in exps for arm in e.arms.values()}
            if any(e is experiments.SURVEY for e in exps):
                needed |= set(targets)
            with ExitStack() as stack:
                subjects = _start(ctx, stack, plan, [targets[n] for n in sorted(needed)], work)
                if any(e is experiments.SURVEY for e in exps):
                    _survey(ctx, plan, subjects, work)
                _repeat(ctx, plan, [e for e in exps if e is not experiments.SURVEY], claim_list,
                        subjects, began, browser)
            ctx.save()
        if browser.browser or browser.unavailable:
            ctx.doc["browser"] = browser.describe()
    ctx.finish(claim_list)
    return ctx.out


def _phases(claim_list: list[Claim], survey: bool) -> dict[str, list[Experiment]]:
    """{work: experiments}, in the order of experiments.ALL; the survey joins its work."""
    chosen = {c.experiment.id for c in claim_list}
    exps = [e for e in experiments.ALL if e.id in chosen]
    for claim in claim_list:  # experiments of claims made elsewhere (the tests' known truths)
        if claim.experiment not in exps:
            exps.append(claim.experiment)
    if survey:
        exps.insert(0, experiments.SURVEY)
    phases: dict[str, list[Experiment]] = {}
    for e in exps:
        phases.setdefault(e.work, []).append(e)
    return phases


def _start(ctx: RunContext, stack: ExitStack, plan: ClaimsPlan, targets: list[Target],
           work: str) -> dict[str, Subject]:
    """Start and verify every target of a phase; those that fail are left out (and reported)."""
    subjects = {}
    for target in targets:
        options = ServerOptions(workers=plan.workers, work=work, cpus=ctx.cpus.target)
        subject, check = start_verified(stack, target, options, ctx.out / "logs", ctx.progress)
        ctx.verified(check | {"work": work})
        if subject is not None:
            subjects[target.name] = subject
    return subjects


def _survey(ctx: RunContext, plan: ClaimsPlan, subjects: dict[str, Subject], work: str) -> None:
    size, users = SURVEY_LEVEL
    for name, subject in subjects.items():
        _level(ctx, plan, subject, Arm(name, size=size, users=users), work,
               experiments.SURVEY.id, 1, name)


def _repeat(ctx: RunContext, plan: ClaimsPlan, exps: list[Experiment], claim_list: list[Claim],
            subjects: dict[str, Subject], began: float, browser: BrowserLevels) -> None:
    for rep in range(1, plan.max_repetitions + 1):
        spent = time.monotonic() - began - browser.seconds  # the browser's levels: extra time
        if rep > plan.min_repetitions and spent > plan.budget_s:
            ctx.progress.warn(f"time budget ({plan.budget_s:.0f} s) spent: no more repetitions")
            return
        needed = {e.id: _roles_to_repeat(ctx, e, claim_list, rep <= plan.min_repetitions)
                  for e in exps}
        active = [e for e in exps if needed[e.id]]
        if not active:
            return
        for exp in active:
            roles = [r for r in exp.arms if r in needed[exp.id]]
            for role in roles if rep % 2 else reversed(roles):
                arm = exp.arms[role]
                if getattr(arm, "browser", ()) and not browser.available():
                    _no_browser(ctx, exp, browser.unavailable)
                elif arm.target in subjects:
                    _level(ctx, plan, subjects[arm.target], arm, exp.work, exp.id, rep, role,
                           browser)
            if rep >= plan.min_repetitions:  # progress: the claims this repetition fed
                for claim in _claims_of(exp, claim_list):
                    if not claim.measure.roles <= set(roles):
                        continue
                    v = judge(claim, ctx.doc)
                    ctx.progress.info(f"claim {claim.id} after {rep}: {v['verdict']} — "
                                      f"{v['evidence']}")


def _roles_to_repeat(ctx: RunContext, exp: Experiment, claim_list: list[Claim],
                     minimum: bool) -> set[str]:
    """Every arm within the minimum repetitions; after it, only the arms of the claims that are
    still inconclusive (another repetition could decide them)."""
    claims = _claims_of(exp, claim_list)
    if minimum:
        return set(exp.arms) if claims else set()
    return {role for c in claims if judge(c, ctx.doc)["verdict"] == "inconclusive"
            for role in c.measure.roles}


def _claims_of(exp: Experiment, claim_list: list[Claim]) -> list[Claim]:
    return [c for c in claim_list if c.experiment.id == exp.id]


def _no_browser(ctx: RunContext, exp: Experiment, why: str | None) -> None:
    """A browser arm without a browser: skipped; its claims will say why (judge reads it)."""
    skipped = ctx.doc.setdefault("skipped_experiments", {})
    if exp.id not in skipped:
        ctx.progress.warn(f"{exp.id}: not measured — {why}")
        skipped[exp.id] = why
    ctx.progress.skip(1)


def _level(ctx: RunContext, plan: ClaimsPlan, subject: Subject, arm: Arm, work: str,
           experiment: str, rep: int, role: str, browser: BrowserLevels | None = None) -> None:
    if arm.fresh and subject.running is not None:
        subject.running.restart()  # a clean process: no memory kept from an earlier level
    ctx.progress.step(f"{experiment} · {role} = {arm.describe()} · repetition {rep}")
    level = Level.of_arm(arm, plan, work, f"{experiment}-{role}-{rep}")
    if browser is not None and getattr(arm, "browser", ()):  # Chromium beside the load
        result = browser.level(ctx, subject, arm, level)
    else:
        result = run_level(ctx, subject, level)
    result.update(experiment=experiment, repetition=rep, arm=role)
    ctx.record(result)
