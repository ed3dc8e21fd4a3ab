"""`python bench.py [--claims a,b] [--quick]`: the claims run — every selected claim's
experiment, repeated and interleaved, until its verdict is decided or its repetitions run out.

Experiments are grouped by the servers' `--work` (a phase): the targets of a phase are all
started once, so the arms of an experiment can be interleaved — A B in odd repetitions, B A
in even ones (slow drift of a shared machine then hits both sides alike). Every arm runs the
minimum repetitions (3: the stopping rule's first look); after that, only the arms of the
claims that another repetition could decide — each claim on its own state, never a sibling's —
up to the cap (14) and within the phase's own budget for extra repetitions (45 s), so every
phase can repeat whatever ran before it. A level too small for its claims' figures (30 uploads
or 30 bystander probes) is run again, longer, within a cap. The `survey` (every shipped
target once — `Target.survey` —, for the summary and plots) runs in the first phase.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import ExitStack
from pathlib import Path

from targets.spec import Target, traits
from upbench import registry
from upbench.claims import experiments, select, unjudged
from upbench.claims.judge import MIN_SAMPLE, judge, sample_short, wants_more
from upbench.claims.model import Arm, Claim, Experiment
from upbench.config import PIN, ClaimsPlan
from upbench.lifecycle.server import ServerOptions
from upbench.progress import Progress
from upbench.records import Result
from upbench.run.browser_levels import BrowserLevels
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.start import start_verified
from upbench.run.subject import Subject

SURVEY_LEVEL = (1_000_000, 8)  # size, users: each shipped target once, for the summary and plots
LEVEL_OVERHEAD_S = 1  # per level beyond its duration, in the time-left estimate
LOCUST_PROCESSES = 1  # per level (Level's default): what CPU pinning plans for

EXTEND_MARGIN = 1.25  # a level run again aims past its minimum sample: rates vary between runs



def run_claims(plan: ClaimsPlan, argv: list[str], targets: dict[str, Target] | None = None,
               claim_list: list[Claim] | None = None) -> Path:
    """`targets` and `claim_list` replace the registry's (the tests' known-truth servers).
    Returns the run's folder (results.json, index.html, samples)."""
    claim_list = claim_list if claim_list is not None else select(",".join(plan.claims))
    targets = targets or registry.discover()
    survey = plan.survey and not plan.claims
    phases = _phases(claim_list, survey)
    estimate = sum(len(e.arms) for exps in phases.values() for e in exps) * plan.min_repetitions
    estimate += sum(t.survey for t in targets.values()) if survey else 0
    arm_targets = tuple(sorted({a.target for c in claim_list for a in c.experiment.arms.values()}))
    ctx = RunContext.open(argv, plan.config_record(arm_targets), plan.out, PIN,
                          LOCUST_PROCESSES,
                          Progress(estimate, plan.duration + LEVEL_OVERHEAD_S, plan.quiet))
    ctx.doc["claims_run"] = plan.as_dict() | {"claims": [c.id for c in claim_list]}
    ctx.doc["targets"] = described(targets, claim_list)
    ctx.doc["not_judged"] = unjudged.as_list()
    with BrowserLevels(plan.browser) as browser:  # launched on the first browser arm
        for number, (work, exps) in enumerate(phases.items(), start=1):
            ctx.progress.info(
                f"phase {number}/{len(phases)} (work {work}): "
                f"{', '.join(e.id for e in exps)}; {plan.min_repetitions} repetition(s), then more "
                f"for undecided claims (up to {plan.max_repetitions}, {plan.phase_budget_s:g} s)")
            needed = {arm.target for e in exps for arm in e.arms.values()}
            if any(e is experiments.SURVEY for e in exps):
                needed |= {name for name, t in targets.items() if t.survey}
            clock = {"work": work, "began": time.monotonic()}
            with ExitStack() as stack:
                subjects = _start(ctx, stack, plan, [targets[n] for n in sorted(needed)], work)
                clock["started"] = time.monotonic()
                if any(e is experiments.SURVEY for e in exps):
                    _survey(ctx, plan, subjects, work)
                clock["surveyed"] = time.monotonic()
                clock |= _repeat(ctx, plan, [e for e in exps if e is not experiments.SURVEY],
                                 claim_list, subjects, browser)
            ctx.doc["claims_run"].setdefault("phases", []).append(_spent(clock))
            ctx.progress.info(f"phase {number}/{len(phases)} took {_spent(clock)['total_s']:.0f} s")
            ctx.save()
        if browser.browser or browser.unavailable:
            ctx.doc["browser"] = browser.describe()
    ctx.finish(claim_list)
    return ctx.out


def described(targets: dict[str, Target], claim_list: list[Claim]) -> dict[str, dict]:
    """What the report shows of each target a claim judges: its traits, and for the seeds'
    code run as written, the snippet and every change running it needed."""
    names = {n for c in claim_list for n in c.code} & set(targets)
    return {n: {"summary": targets[n].summary, "as_written": targets[n].as_written,
                "hardening": list(targets[n].hardening), "completion": targets[n].completion,
                **traits(targets[n])} for n in sorted(names)}


def _spent(clock: dict) -> dict:
    """Where a phase's time went (results.json -> claims_run.phases): starting its targets, the
    survey, the minimum repetitions, the extra ones; and how many repetitions ran."""
    ended = clock.get("ended", clock["surveyed"])
    minimum = clock.get("minimum_done", ended)
    return {"work": clock["work"], "start_s": round(clock["started"] - clock["began"], 1),
            "survey_s": round(clock["surveyed"] - clock["started"], 1),
            "minimum_s": round(minimum - clock["surveyed"], 1),
            "extra_s": round(max(ended - minimum, 0.0), 1),
            "total_s": round(time.monotonic() - clock["began"], 1),
            "repetitions": clock.get("repetitions", 0)}


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
    survey = dataclasses.replace(experiments.SURVEY, work=work)
    for name, subject in subjects.items():
        if subject.running is None or not subject.running.target.survey:
            continue
        _level(ctx, plan, subject, Arm(name, size=size, users=users), survey, 1, name)


def _repeat(ctx: RunContext, plan: ClaimsPlan, exps: list[Experiment], claim_list: list[Claim],
            subjects: dict[str, Subject], browser: BrowserLevels | None = None) -> dict:
    """The minimum repetitions of every arm, then — within the phase's own budget — more
    repetitions of the arms of the claims that want them (`judge.wants_more`: each claim on
    its own state), up to the cap. Returns when the minimum ended, when it all ended, and how
    many repetitions ran."""
    sizes = _Lengths()
    clock = {"repetitions": 0}
    for rep in range(1, plan.max_repetitions + 1):
        clock["ended"] = time.monotonic()
        if rep > plan.min_repetitions:
            began = clock.setdefault("minimum_done", time.monotonic())
            if time.monotonic() - began > plan.phase_budget_s:
                left = ", ".join(_open(ctx, exps, claim_list, sizes.stuck))
                ctx.progress.warn(f"phase budget ({plan.phase_budget_s:.0f} s of extra "
                                  f"repetitions) spent: {left} stay undecided")
                return clock
        needed = {e.id: _roles_to_repeat(ctx, e, claim_list, rep <= plan.min_repetitions,
                                         sizes.stuck) for e in exps}
        active = [e for e in exps if needed[e.id]]
        if not active:
            return clock
        clock["repetitions"] = rep
        if rep > plan.min_repetitions:
            ctx.progress.extend(sum(len(roles) for roles in needed.values()))
            ctx.progress.info(f"repetition {rep} for "
                              f"{', '.join(_open(ctx, exps, claim_list, sizes.stuck))}")
        for exp in active:
            roles = [r for r in exp.arms if r in needed[exp.id]]
            for role in roles if rep % 2 else reversed(roles):
                arm = exp.arms[role]
                if getattr(arm, "browser", ()) and not (browser and browser.available()):
                    _no_browser(ctx, exp, browser.unavailable if browser else None)
                elif arm.target in subjects:
                    _sampled_level(ctx, plan, subjects[arm.target], exp, role, rep,
                                   _needs(exp, role, claim_list), sizes, browser)
            if rep >= plan.min_repetitions:  # progress: the claims this repetition fed
                for claim in _claims_of(exp, claim_list):
                    if not claim.measure.roles <= set(roles):
                        continue
                    v = judge(claim, ctx.doc)
                    ctx.progress.info(f"claim {claim.id} after {rep}: {v['verdict']} — "
                                      f"{v['evidence']}")
    clock["ended"] = time.monotonic()
    return clock


@dataclasses.dataclass
class _Lengths:
    """Per (experiment, role): the level duration decided on the way, and the arms whose levels
    would need more than the cap (their claims stop asking for repetitions)."""
    durations: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    stuck: set[tuple[str, str, str]] = dataclasses.field(default_factory=set)  # + "uploads"...


def _open(ctx: RunContext, exps: list[Experiment], claim_list: list[Claim],
          stuck: set[tuple[str, str, str]]) -> list[str]:
    """The claims another repetition could decide."""
    return [c.id for e in exps for c in _claims_of(e, claim_list) if _wants(ctx, e, c, stuck)]


def _wants(ctx: RunContext, exp: Experiment, claim: Claim, stuck: set[tuple[str, str, str]]) -> bool:
    """The claim's own state asks for more, and none of its arms stays too small to count."""
    return wants_more(judge(claim, ctx.doc)) and not any(
        (exp.id, role, what) in stuck
        for role, what in getattr(claim.measure, "samples", {}).items())


def _roles_to_repeat(ctx: RunContext, exp: Experiment, claim_list: list[Claim], minimum: bool,
                     stuck: set[tuple[str, str, str]]) -> set[str]:
    """Every arm within the minimum repetitions; after it, only the arms of the claims whose
    own verdict another repetition could decide (never a sibling's state) — not a claim
    resting on an arm whose levels stay too small to count."""
    claims = _claims_of(exp, claim_list)
    if minimum:
        return set(exp.arms) if claims else set()
    return {role for c in claims if _wants(ctx, exp, c, stuck) for role in c.measure.roles}


def _needs(exp: Experiment, role: str, claim_list: list[Claim]) -> set[str]:
    """What the claims reading this arm rest on ("uploads", "probes"): its minimum sample."""
    return {what for c in _claims_of(exp, claim_list)
            for r, what in getattr(c.measure, "samples", {}).items() if r == role}


def _sampled_level(ctx: RunContext, plan: ClaimsPlan, subject: Subject, exp: Experiment,
                   role: str, rep: int, needs: set[str], sizes: _Lengths,
                   browser: BrowserLevels | None = None) -> None:
    """One arm's level, long enough for its claims' minimum sample: a level that came out too
    small is run again, longer (as long as the rate it showed needs, at least 1.5 times as
    long, within the level cap), and later repetitions of the arm start at that length. What
    would need more than the cap is kept as it is: the repetition does not count for the
    figures resting on it (the verdict says so), and their claims stop asking for
    repetitions."""
    arm = exp.arms[role]
    key = (exp.id, role)
    duration = sizes.durations.get(key, arm.duration or plan.duration)
    result = _level(ctx, plan, subject, arm, exp, rep, role, duration, browser)
    short = {what: _length_for(result, what, duration, plan.warmup)
             for what in sorted(needs) if sample_short(result, what)}
    if not short:
        return
    cap = plan.level_cap_s
    hopeless = {what for what, length in short.items()
                if length is None or length > cap or duration >= cap}
    sizes.stuck |= {(*key, what) for what in hopeless}
    # at least half as long again (the rate of one short level is a rough guide), within the cap
    possible = [min(max(length, duration * 1.5), cap) for what, length in short.items()
                if what not in hopeless]
    if hopeless:
        ctx.progress.warn(f"{exp.id} · {role}: too few {' and '.join(short)} in {duration:g} s "
                          f"(it needs more than the {cap:g} s cap): the repetition does not "
                          f"count for figures resting on {' and '.join(sorted(hopeless))}")
    if not possible:
        return
    sizes.durations[key] = longer = round(max(possible), 1)
    ctx.progress.info(f"{exp.id} · {role}: too few {' and '.join(short)}; run again for "
                      f"{longer:g} s (and so from now on)")
    ctx.doc["results"].remove(result)
    ctx.progress.extend(1)
    again = _level(ctx, plan, subject, arm, exp, rep, role, longer)
    again["extended"] = {"from_s": duration, "reason": ", ".join(
        f"{_count(result, what)} {what} < {MIN_SAMPLE[what]}" for what in short)}


def _count(result: Result, what: str) -> int:
    return (result.get({"uploads": "latency_ms", "probes": "bystander_ms"}[what]) or {}
            ).get("count") or 0


def _length_for(result: Result, what: str, duration: float, warmup: float) -> float | None:
    """The level duration that the rate this level showed needs for the minimum sample (with
    a margin), or None when it showed nothing to scale from."""
    have = _count(result, what)
    rate = have / max(duration - warmup, 1e-3)
    if what == "uploads":  # a closed loop of long uploads starts few in a short window
        rate = max(rate, (result.get("throughput") or {}).get("rps") or 0.0)
    if have == 0 or rate <= 0:
        return None
    return warmup + MIN_SAMPLE[what] / rate * EXTEND_MARGIN


def _claims_of(exp: Experiment, claim_list: list[Claim]) -> list[Claim]:
    return [c for c in claim_list if c.experiment.id == exp.id]


def _no_browser(ctx: RunContext, exp: Experiment, why: str | None) -> None:
    """A browser arm without a browser: skipped; its claims will say why (judge reads it)."""
    skipped = ctx.doc.setdefault("skipped_experiments", {})
    if exp.id not in skipped:
        ctx.progress.warn(f"{exp.id}: not measured — {why}")
        skipped[exp.id] = why
    ctx.progress.skip(1)


def _level(ctx: RunContext, plan: ClaimsPlan, subject: Subject, arm: Arm, exp: Experiment,
           rep: int, role: str, duration: float | None = None,
           browser: BrowserLevels | None = None) -> Result:
    if arm.fresh and subject.running is not None:
        subject.running.restart()  # a clean process: no memory kept from an earlier level
    ctx.progress.step(f"{exp.id} · {role} = {arm.describe()} · repetition {rep}")
    label = f"{exp.id}-{role}-{rep}" + (f"-{duration:g}s" if duration else "")
    level = Level.of_arm(arm, plan, exp.work, label, duration)
    if browser is not None and getattr(arm, "browser", ()):  # Chromium beside the load
        result = browser.level(ctx, subject, arm, level)
    else:
        result = run_level(ctx, subject, level)
    result.update(experiment=exp.id, repetition=rep, arm=role)
    ctx.record(result)
    return result
