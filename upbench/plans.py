"""From flags to a RunConfig, with the two built-in plans.

- default (`python bench.py`): every target, the scenarios that separate the patterns, a sweep
  small enough to finish in a few minutes on a 2-core machine;
- `--quick`: the smoke plan — every target, short levels.
Explicit flags always win over a plan's values.
"""

from __future__ import annotations

from pathlib import Path

from loadtests.catalog import SCENARIOS
from upbench.config import LoadLevel, RunConfig
from upbench.units import parse_duration, parse_size

DEFAULT = dict(scenarios="upload,mixed", sizes="64KB,4MB", users="1,8", duration="8s",
               warmup="2s")
QUICK = dict(scenarios="upload,mixed,slow", sizes="256KB", users="4", duration="4s",
             warmup="1s")


def config_from_args(args) -> RunConfig:
    from upbench.cli import UsageError, _select

    plan = QUICK if args.quick else DEFAULT

    def pick(name: str) -> str:
        value = getattr(args, name)
        return plan[name] if value is None else value

    try:
        scenarios = tuple(_names(pick("scenarios")))
        unknown = [s for s in scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)} "
                             f"(known: {', '.join(SCENARIOS)})")
        sizes = tuple(parse_size(s) for s in _names(pick("sizes")))
        if args.rate:
            levels = tuple(LoadLevel("open", rate=_positive_float(r, "--rate"))
                           for r in _names(args.rate))
        else:
            levels = tuple(LoadLevel("closed", users=_positive_int(u, "--users"))
                           for u in _names(pick("users")))
        duration = parse_duration(pick("duration"))
        warmup = parse_duration(pick("warmup")) if pick("warmup") != "0" else 0.0
        if warmup >= duration:
            raise ValueError(f"--warmup ({warmup:g}s) must be shorter than --duration "
                             f"({duration:g}s)")
        from targets.common.work import Work
        Work.parse(args.work)
        max_upload = parse_size(args.max_upload)
        if max(sizes) > max_upload:
            raise ValueError(f"a size is above --max-upload ({args.max_upload}): every upload "
                             "would be refused with 413")
        bandwidth = parse_size(args.bandwidth)
        chunk_size = parse_size(args.chunk_size)
        if not 0 <= args.drop_rate < 1:
            raise ValueError(f"--drop-rate must be in [0, 1), got {args.drop_rate}")
    except ValueError as exc:
        raise UsageError(str(exc))
    for flag, value in (("--workers", args.workers), ("--processes", args.processes)):
        if value < 1:
            raise UsageError(f"{flag} must be at least 1")
    if args.url:
        if not args.url.startswith("http://"):
            raise UsageError(f"--url must be an http:// URL, got {args.url!r}")
        if args.targets:
            raise UsageError("--url and --targets exclude each other")
        targets: tuple[str, ...] = ()
    else:
        targets = tuple(t.name for t in _select(args.targets))
    return RunConfig(targets=targets, scenarios=scenarios, sizes=sizes, levels=levels,
                     duration=duration, warmup=warmup, work=args.work, workers=args.workers,
                     worker_class=args.worker_class, processes=args.processes,
                     max_upload=max_upload, bandwidth=bandwidth, chunk_size=chunk_size,
                     drop_rate=args.drop_rate, url=args.url, name=args.name,
                     out=Path(args.out).resolve() if args.out else None, quiet=args.quiet)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _positive_int(text: str, flag: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"bad {flag} value {text!r}: expected a whole number")
    if value < 1:
        raise ValueError(f"bad {flag} value {text!r}: must be at least 1")
    return value


def _positive_float(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"bad {flag} value {text!r}: expected a number")
    if value <= 0:
        raise ValueError(f"bad {flag} value {text!r}: must be positive")
    return value
