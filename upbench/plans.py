"""From flags to a RunConfig, with the two built-in plans.

- default (`python bench.py run`, ~5 min on 2 cores): every target; `upload` at 64 KB and 8 MB
  with 1 and 8 users (small vs large files, one vs many users), `mixed` and `slow` at 1 MB
  with 8 users (who gets blocked, what slow clients do to sync workers), `resumable` at 16 MB
  with cut connections. The `crash` scenario is left out (a 202 pattern's lost work takes a
  poll timeout to show): run `--scenarios crash` for it.
- `--quick` (~90 s): every target, `upload` + `mixed` + `resumable`, one short level each.
Any of --scenarios/--sizes/--users/--rate replaces the plan with the plain sweep of those
flags (every scenario x size x level), filled in with the plan's values for the others.
`--file` does too: the size is the files' (their mean when several). The `oversize`
scenario sends bodies over --max-upload (default then 1MB; its sizes default 1500KB,8MB);
the other scenarios' sizes stay at or below it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from loadtests.catalog import SCENARIOS
from loadtests.request import TUS_RETRY_DELAYS, RequestSpec, split_credentials
from loadtests.s3multipart import MIN_PART, bucket_and_key
from loadtests.units import parse_duration, parse_size
from targets.common.work import Work
from upbench import claims, registry
from upbench.config import SLO_METRICS, CapacityPlan, ClaimsPlan, LoadLevel, RunConfig, SearchPlan, Slo, Stage
from upbench.errors import UsageError
from upbench.run.subject import Subject

DEFAULT = dict(scenarios="upload,mixed,slow,resumable", sizes="1MB", users="8",
               duration="4s", warmup="1s",
               stages=(("upload", "64KB,8MB", "1,8"), ("mixed", "1MB", "8"),
                       ("slow", "1MB", "8"), ("resumable", "16MB", "2")))
QUICK = dict(scenarios="upload,mixed,resumable", sizes="256KB", users="4", duration="2s",
             warmup="500ms",
             stages=(("upload", "256KB", "4"), ("mixed", "256KB", "4"),
                     ("resumable", "12MB", "2")))


OVERSIZE_LIMIT = "1MB"          # --max-upload when the oversize scenario runs without one
OVERSIZE_SIZES = "1500KB,8MB"   # the oversize scenario's sizes without --sizes


def config_from_args(args) -> RunConfig:
    if getattr(args, "presign", None):
        if args.url:
            raise UsageError("--presign and --url exclude each other (--presign is the app's "
                             "ticket endpoint, the storage URL comes from its answer)")
        args = argparse.Namespace(**{**vars(args), "url": args.presign})
    plan = QUICK if args.quick else DEFAULT

    def pick(name: str) -> str:
        value = getattr(args, name)
        if value is None and name == "scenarios" and args.url:
            return "upload"  # anyone's endpoint: no /health, no tus unless asked for
        return plan[name] if value is None else value

    try:
        scenarios = tuple(_names(pick("scenarios")))
        unknown = [s for s in scenarios if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)} "
                             f"(known: {', '.join(SCENARIOS)})")
        sizes = _sizes(args, pick("sizes"))
        levels = _levels(args.rate, pick("users"))
        explicit = any(getattr(args, f) is not None for f in ("scenarios", "sizes", "users",
                                                              "rate")) or bool(args.file)
        if explicit:
            stages = tuple(Stage(s, _over_sizes(args) if SCENARIOS[s].over_limit else sizes,
                                 levels) for s in scenarios)
        else:
            stages = tuple(Stage(s, tuple(parse_size(x) for x in _names(z)), _levels(None, u))
                           for s, z, u in plan["stages"]
                           if not args.url or _plain_upload(s, args.url))
        duration = parse_duration(pick("duration"))
        warmup = parse_duration(pick("warmup")) if pick("warmup") != "0" else 0.0
        if warmup >= duration:
            raise ValueError(f"--warmup ({warmup:g}s) must be shorter than --duration "
                             f"({duration:g}s)")
        Work.parse(args.work)
        over = any(SCENARIOS[st.scenario].over_limit for st in stages)
        limit_text = args.max_upload or (OVERSIZE_LIMIT if over else "1GiB")
        max_upload = parse_size(limit_text)
        if max([x for st in stages if not SCENARIOS[st.scenario].over_limit
                for x in st.sizes], default=0) > max_upload:
            raise ValueError(f"a size is above --max-upload ({limit_text}): "
                             "every upload would be refused with 413")
        if min([x for st in stages if SCENARIOS[st.scenario].over_limit for x in st.sizes],
               default=max_upload + 1) <= max_upload:
            raise ValueError(f"the oversize scenario's sizes must be above --max-upload "
                             f"({limit_text})")
        if over and args.url and not args.max_upload:
            raise ValueError("the oversize scenario needs the endpoint's limit: --max-upload")
        bandwidth = parse_size(args.bandwidth)
        chunk_size = parse_size(args.chunk_size)
        if not 0 <= args.drop_rate < 1:
            raise ValueError(f"--drop-rate must be in [0, 1), got {args.drop_rate}")
    except ValueError as exc:
        raise UsageError(str(exc))
    for flag, value in (("--workers", args.workers), ("--processes", args.processes),
                        ("--repeat", args.repeat)):
        if value < 1:
            raise UsageError(f"{flag} must be at least 1")
    expect_workers = _distributed(args)
    url, request, status_url = _endpoint(args, scenarios)
    targets = _targets(args)
    out = _out_dir(args.out)
    return RunConfig(targets=targets, stages=stages,
                     duration=duration, warmup=warmup, work=args.work, workers=args.workers,
                     worker_class=args.worker_class, processes=args.processes, pin=args.pin,
                     max_upload=max_upload, bandwidth=bandwidth, chunk_size=chunk_size,
                     drop_rate=args.drop_rate, url=url, name=args.name,
                     out=out, quiet=args.quiet, request=request, status_url=status_url,
                     url_limit=max_upload if args.url and (args.max_upload or over) else None,
                     verify=not args.no_verify,
                     retry_delays=TUS_RETRY_DELAYS if args.retry_delays is None
                     else args.retry_delays, locust_csv=args.csv, repeat=args.repeat,
                     expect_workers=expect_workers, master_bind_host=args.master_bind_host,
                     master_bind_port=args.master_bind_port)


def _distributed(args) -> int:
    """--master --expect-workers N: the number of workers (0 without --master)."""
    if not args.master:
        given = [f for f, v in (("--expect-workers", args.expect_workers),
                                ("--master-bind-host", args.master_bind_host != "127.0.0.1"),
                                ("--master-bind-port", args.master_bind_port != 5557)) if v]
        if given:
            raise UsageError(f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'}"
                             " with --master")
        return 0
    if not args.expect_workers or args.expect_workers < 1:
        raise UsageError("--master needs --expect-workers N (the `bench.py worker` processes "
                         "that will connect)")
    if args.processes > 1:
        raise UsageError("--processes runs Locust's workers here; with --master they are "
                         "`bench.py worker --processes K` on each load machine")
    if args.master_bind_host in ("*", "0.0.0.0", "::"):
        raise UsageError("--master-bind-host must be one address of this machine (our targets "
                         "listen there too), not a wildcard")
    if not 0 < args.master_bind_port < 65536:
        raise UsageError(f"--master-bind-port {args.master_bind_port}: not a port")
    return args.expect_workers


_URL_ONLY = {"--field": "field", "--form": "form", "--header": "header", "--method": "method",
             "--body": "body", "--expect": "expect", "--insecure": "insecure",
             "--cacert": "cacert", "--status-url": "status_url", "--no-verify": "no_verify",
             "--file": "file", "--content-type": "content_type", "--filename": "filename",
             "--expect-continue": "expect_continue", "--chunked": "chunked",
             "--presign-map": "presign_map", "--multipart-part-size": "multipart_part_size",
             "--multipart-concurrency": "multipart_concurrency"}


def _endpoint(args, scenarios: tuple[str, ...]) -> tuple[str | None, RequestSpec, str | None]:
    """--url and curl's flags -> (the URL without credentials, the request, the status path).
    Combinations that cannot describe one request are usage errors."""
    if not args.url:
        given = [flag for flag, value in _URL_ONLY.items() if getattr(args, value)]
        if given:
            raise UsageError(f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'}"
                             " to --url")
        return None, RequestSpec(), None
    if args.targets:
        raise UsageError("--url and --targets exclude each other")
    url, username, password = split_credentials(args.url)
    raw = args.body == "raw"
    headers = tuple(args.header or ())
    names = {name.lower() for name, _ in headers}
    path = urlsplit(url).path
    if raw and (args.field or args.form):
        raise UsageError("--field and --form describe a multipart body: not with --body raw")
    if not raw and "{name}" in path:
        raise UsageError("{name} in the URL path names a raw upload: add --body raw")
    if not raw and "content-type" in names:
        raise UsageError("--body multipart sets Content-Type itself (with its boundary)")
    if username is not None and "authorization" in names:
        raise UsageError("credentials in the URL and an Authorization header exclude each other")
    if args.insecure and args.cacert:
        raise UsageError("--insecure and --cacert exclude each other")
    tus = [s for s in scenarios if SCENARIOS[s].needs == ("tus",)]
    if tus and (raw or args.method or args.field or args.form):
        raise UsageError(f"the {tus[0]} scenario speaks tus: --body, --method, --field and "
                         "--form do not apply")
    if args.content_type and "content-type" in names:
        raise UsageError("--content-type and a Content-Type header exclude each other")
    if args.expect_continue and "expect" in names:
        raise UsageError("--expect-continue sends the Expect header itself")
    transfer, part_size = _transfer(args, raw, path, scenarios)
    request = RequestSpec(field=args.field or "file", form=tuple(args.form or ()),
                          headers=headers, method=args.method or ("PUT" if raw else "POST"),
                          body=args.body or "multipart", expect=args.expect or (),
                          username=username, password=password, insecure=args.insecure,
                          cacert=args.cacert, files=tuple(args.file or ()),
                          content_type=args.content_type, filename=args.filename,
                          expect_continue=args.expect_continue, chunked=args.chunked or 0,
                          transfer=transfer, ticket_map=tuple(args.presign_map or ()),
                          part_size=part_size, part_concurrency=args.multipart_concurrency or 4)
    return url, request, _status_path(args.status_url, url)


def _transfer(args, raw: bool, path: str, scenarios: tuple[str, ...]) -> tuple[str, int]:
    """How the bytes travel: direct, through the app's ticket (--presign), or as an S3
    multipart upload (--multipart-part-size); and the part size."""
    if args.presign_map and not args.presign:
        raise UsageError("--presign-map reads the answer of --presign: give --presign URL")
    if args.multipart_concurrency is not None and not args.multipart_part_size:
        raise UsageError("--multipart-concurrency goes with --multipart-part-size")
    special = [s for s in scenarios if SCENARIOS[s].needs != ("upload",)
               or SCENARIOS[s].over_limit]
    if (args.presign or args.multipart_part_size) and special:
        raise UsageError(f"the {special[0]} scenario sends its own requests: not with "
                         "--presign or --multipart-part-size")
    if args.presign:
        if args.multipart_part_size:
            raise UsageError("--presign and --multipart-part-size exclude each other")
        if raw or args.field or args.form or args.method:
            raise UsageError("--presign: the ticket says how to send the file (no --body, "
                             "--field, --form or --method)")
        return "presign", 0
    if not args.multipart_part_size:
        return "direct", 0
    try:
        part_size = parse_size(args.multipart_part_size)
        bucket_and_key(path)
    except ValueError as exc:
        raise UsageError(f"--multipart-part-size: {exc}")
    if part_size < MIN_PART:
        raise UsageError(f"--multipart-part-size must be at least 5MiB (S3's smallest part), "
                         f"got {args.multipart_part_size}")
    if not raw or args.field or args.form or args.chunked:
        raise UsageError("--multipart-part-size: an S3 multipart upload takes --body raw "
                         "(no --field, --form or --chunked)")
    if args.multipart_concurrency is not None and args.multipart_concurrency < 1:
        raise UsageError("--multipart-concurrency must be at least 1")
    return "s3-multipart", part_size


def _sizes(args, text: str) -> tuple[int, ...]:
    """--sizes, or with --file the files' own size (their mean)."""
    if args.file:
        if args.sizes is not None:
            raise ValueError("--file sets the size: not with --sizes")
        return (sum(os.path.getsize(f) for f in args.file) // len(args.file),)
    return tuple(parse_size(s) for s in _names(text))


def _over_sizes(args) -> tuple[int, ...]:
    return tuple(parse_size(s) for s in _names(args.sizes or OVERSIZE_SIZES))


def _status_path(template: str | None, url: str) -> str | None:
    """--status-url: a path, or a URL on the endpoint's own origin (the upload's credentials
    go with every poll), with {id} for the JSON id of a 202 answer."""
    if template is None:
        return None
    if "{id}" not in template:
        raise UsageError(f"--status-url needs {{id}} (the answer's JSON id), got {template!r}")
    parts, origin = urlsplit(template), urlsplit(url)
    if parts.scheme or parts.netloc:
        if (parts.scheme, parts.hostname, parts.port) != \
                (origin.scheme, origin.hostname, origin.port):
            raise UsageError("--status-url must be on the --url's own scheme, host and port")
    if not parts.path.startswith("/"):
        raise UsageError(f"--status-url must be a path or a URL, got {template!r}")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _plain_upload(scenario: str, url: str) -> bool:
    """--url without --scenarios: the plan's stages that the endpoint can take (upbench.run.
    subject decides), multipart uploads only (no tus unless asked for)."""
    known = SCENARIOS[scenario]
    return known.needs == ("upload",) and Subject.external(url).missing(known) is None


def claims_plan_from_args(args) -> ClaimsPlan:
    """The claims run: which claims, how many repetitions (--quick: one short each)."""
    try:
        chosen = claims.select(args.claims)
    except claims.UnknownClaim as exc:
        raise UsageError(str(exc))
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    ids = tuple(c.id for c in chosen) if args.claims.strip() else ()  # (): all claims
    settings = dict(workers=args.workers, out=_out_dir(args.out), quiet=args.quiet,
                    locust_csv=args.csv,
                    browser=_browser(args.browser) if args.browser else None)
    return ClaimsPlan.quick(ids, **settings) if args.quick else ClaimsPlan(ids, **settings)


SLO_PERCENTILES = ("p50", "p90", "p95", "p99", "p999")
_SLO = re.compile(r"^\s*(?:(?P<metric>[a-z]+)\s+)?(?P<pct>p\d+)\s*<\s*(?P<limit>\S+)\s*$")


def parse_slo(text: str) -> Slo:
    """`'p99<1s'`, `'completion p99<30s'`, `'ttfb p95<200ms'` -> Slo; ValueError otherwise."""
    match = _SLO.match(text.lower())
    if not match:
        raise ValueError(f"bad --slo {text!r}: expected [latency|ttfb|completion] PCTL<DURATION, "
                         "e.g. 'p99<1s' or 'completion p99<30s'")
    metric = match["metric"] or "latency"
    if metric not in SLO_METRICS:
        raise ValueError(f"bad --slo {text!r}: unknown metric {metric!r} "
                         f"(known: {', '.join(SLO_METRICS)})")
    if match["pct"] not in SLO_PERCENTILES:
        raise ValueError(f"bad --slo {text!r}: unknown percentile {match['pct']!r} "
                         f"(known: {', '.join(SLO_PERCENTILES)})")
    try:
        limit = parse_duration(match["limit"])
    except ValueError as exc:
        raise ValueError(f"bad --slo {text!r}: {exc}")
    return Slo(metric, match["pct"], limit * 1000)


CAPACITY = dict(duration="3s", warmup="500ms", search=SearchPlan())
CAPACITY_QUICK = dict(duration="2s", warmup="500ms",
                      search=SearchPlan(resolution=0.2, max_reps=3, max_levels=10, budget_s=90.0))


def capacity_from_args(args) -> tuple[CapacityPlan, RunConfig]:
    """`bench.py capacity`: the search plan (--quick: shorter levels, a 20 % resolution, fewer
    levels) and the RunConfig its levels run with (one open-loop `upload` stage)."""
    base = CAPACITY_QUICK if args.quick else CAPACITY
    try:
        size = parse_size(args.size)
        duration = parse_duration(args.duration or base["duration"])
        warmup = parse_duration(base["warmup"])
        if warmup >= duration:
            raise ValueError(f"--duration must be longer than the warm-up ({warmup:g}s)")
        Work.parse(args.work)
        resolution = float(args.resolution.strip().rstrip("%")) / 100
        if not 0.01 <= resolution <= 1:
            raise ValueError(f"bad --resolution {args.resolution!r}: between 1% and 100%")
    except ValueError as exc:
        raise UsageError(str(exc))
    search = base["search"]
    max_rate = search.max_rate if args.max_rate is None else args.max_rate
    start = min(search.start if args.start_rate is None else args.start_rate, max_rate)
    for flag, value in (("--max-rate", max_rate), ("--start-rate", start)):
        if value <= 0:
            raise UsageError(f"{flag} must be positive")
    for flag, count in (("--workers", args.workers), ("--processes", args.processes)):
        if count < 1:
            raise UsageError(f"{flag} must be at least 1")
    search = dataclasses.replace(search, start=start, max_rate=max_rate, resolution=resolution,
                                 min_rate=min(search.min_rate, start))
    url, request, status_url = _endpoint(args, ("upload",))
    targets = _targets(args)
    level = Stage("upload", (size,), ())  # the rates are the search's
    config = RunConfig(targets=targets, stages=(level,), duration=duration, warmup=warmup,
                       work=args.work, workers=args.workers, worker_class=args.worker_class,
                       processes=args.processes,
                       url=url, name=args.name, out=_out_dir(args.out), quiet=args.quiet, request=request,
                       status_url=status_url, verify=not args.no_verify)
    return CapacityPlan(size, tuple(args.slo), search), config


def _browser(text: str) -> str:
    """--browser PATH: a Chromium that exists (found on PATH or as a path), else exit 2."""
    found = shutil.which(text)
    if found is None:
        raise UsageError(f"--browser {text}: not an executable (a Chromium, e.g. /usr/bin/chromium)")
    return found


def _out_dir(text: str | None) -> Path | None:
    if text is None:
        return None
    out = Path(text).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {text}: cannot create that folder ({exc.strerror})")
    return out


def _levels(rate: str | None, users: str) -> tuple[LoadLevel, ...]:
    if rate:
        return tuple(LoadLevel("open", rate=_positive_float(r, "--rate")) for r in _names(rate))
    return tuple(LoadLevel("closed", users=_positive_int(u, "--users")) for u in _names(users))


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


def _targets(args: argparse.Namespace) -> tuple[str, ...]:
    """The targets a run or capacity search starts: none for anyone's endpoint (`--url`)."""
    if args.url:
        return ()
    try:
        return tuple(t.name for t in registry.select(args.targets))
    except registry.UnknownTarget as exc:
        raise UsageError(str(exc))
