"""Command line (the contract: docs/contracts.md, "CLI"). Each subcommand is a `cmd_*` function; flags are
parsed once into frozen config objects. Usage errors: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from loadtests import request as req
from loadtests.catalog import SCENARIOS
from loadtests.units import parse_size
from targets.common.work import Work
from upbench import claims, registry, webui
from upbench.errors import UsageError
from upbench.lifecycle import load_worker, processes
from upbench.lifecycle.processes import StartError
from upbench.lifecycle.server import ServerOptions, serve
from upbench.plans import capacity_from_args, claims_plan_from_args, config_from_args, parse_slo
from upbench.reporting import capacity as capacity_report
from upbench.reporting import compare, html, job_summary, junit, results
from upbench.reporting.terminal import print_summary
from upbench.run import capacity, claims_run, sweep
from upbench.run.start import start_verified

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default prints the whole usage block
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="bench.py", description="Benchmark how Python web apps take uploads.")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    judge = sub.add_parser("claims", help="judge the seeds' claims (the default: `bench.py`)")
    judge.add_argument("--claims", default="", help="claim ids a,b (default: all; see `list`)")
    judge.add_argument("--quick", action="store_true",
                        help="one short repetition each (~2 min): verdicts stay inconclusive")
    judge.add_argument("--workers", type=int, default=2, help="server worker processes")
    judge.add_argument("--out", default=None, help="output folder (default reports/<run-id>/)")
    judge.add_argument("--quiet", action="store_true", help="no progress lines (CI)")
    _ci_flags(judge)
    judge.add_argument("--browser", default=None, metavar="PATH",
                       help="the Chromium of the browser (Web Vitals) claims "
                            "(default: chromium on PATH)")

    run = sub.add_parser("run", help="benchmark targets over scenarios, sizes and loads")
    run.add_argument("--targets", default="", help="a,b or -c (all but c); default: all")
    run.add_argument("--scenarios", default=None, help="comma list, see `bench.py list`")
    run.add_argument("--sizes", default=None, help="e.g. 64KB,1MB,32MB")
    load = run.add_mutually_exclusive_group()
    load.add_argument("--users", default=None, help="closed loop: concurrent users, e.g. 1,8,32")
    load.add_argument("--rate", default=None, help="open loop: uploads per second, e.g. 10,50")
    run.add_argument("--duration", default=None, help="per load level, e.g. 15s, 2m")
    run.add_argument("--warmup", default=None, help="excluded from the figures (default 2s)")
    run.add_argument("--work", default="sha256", help="none, sha256, cpu:MS, sleep:MS")
    run.add_argument("--workers", type=int, default=2, help="server worker processes")
    run.add_argument("--worker-class", default=None, help="override the gunicorn worker class")
    run.add_argument("--processes", type=int, default=1, help="Locust processes generating load")
    run.add_argument("--pin", choices=("auto", "on", "off"), default="auto",
                     help="pin generator and target to disjoint CPUs (auto: with >= 4 CPUs)")
    run.add_argument("--max-upload", default=None,
                     help="server upload limit (default 1GiB; with --url: the endpoint's, "
                          "for verify's oversized-body check)")
    run.add_argument("--bandwidth", default="1MB", help="per-user bytes/s of the slow scenario")
    run.add_argument("--chunk-size", default="5MB", help="tus PATCH size (resumable scenario)")
    run.add_argument("--drop-rate", type=float, default=0.2,
                     help="fraction of tus PATCHes cut mid-chunk (resumable scenario)")
    run.add_argument("--retry-delays", type=_arg(req.parse_delays), default=None,
                     help="tus: seconds to wait before each retry (default 0,1,3,5)")
    run.add_argument("--quick", action="store_true", help="a short smoke plan (~90 s)")
    run.add_argument("--repeat", type=int, default=1,
                     help="run every level N times, interleaved across targets, so that "
                          "`compare` can tell a change from noise")
    _endpoint_flags(run)
    run.add_argument("--out", default=None, help="output folder (default reports/<run-id>/)")
    run.add_argument("--quiet", action="store_true", help="no progress lines (CI)")
    _ci_flags(run)
    _master_flags(run)

    _capacity_parser(sub)

    verify = sub.add_parser("verify", help="check targets against the HTTP contract")
    verify.add_argument("targets", nargs="*", help="default: all")

    serve = sub.add_parser("serve", help="run one target in the foreground")
    serve.add_argument("target")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default loopback)")
    serve.add_argument("--data-dir", default=None)
    serve.add_argument("--max-upload", default="1GiB")
    serve.add_argument("--work", default="sha256")
    serve.add_argument("--workers", type=int, default=2)

    report = sub.add_parser("report", help="re-render index.html from a results.json")
    report.add_argument("results")

    compare = sub.add_parser("compare", help="compare two results.json; gate on thresholds")
    compare.add_argument("old")
    compare.add_argument("new")
    compare.add_argument("--fail-on", default="",
                         help="e.g. p95:10%%,mbps:-5%% (exit 1 when crossed)")
    compare.add_argument("--junit", default=None, metavar="FILE",
                         help="write JUnit XML: a testcase per --fail-on limit and per claim")

    ui = sub.add_parser("ui", help="start a target and Locust's web UI against it")
    ui.add_argument("target")
    ui.add_argument("--web-port", type=int, default=8089)
    ui.add_argument("--workers", type=int, default=2)
    ui.add_argument("--work", default="sha256")
    ui.add_argument("--size", default="1MB", help="initial upload size (editable in the UI)")
    ui.add_argument("--scenario", default="upload",
                    help="the form's default scenario (the others stay selectable)")
    ui.add_argument("--users", type=int, default=4, help="the form's default number of users")
    ui.add_argument("--file", action="append", type=_arg(req.parse_file), metavar="PATH",
                    help="the form's files to upload instead of random bytes (repeatable)")
    ui.add_argument("--content-type", default=None, type=_arg(req.parse_content_type),
                    metavar="TYPE", help="the form's Content-Type of the file part")
    ui.add_argument("--filename", default=None, type=_arg(req.parse_filename),
                    metavar="TEMPLATE", help="the form's file name: {n}, {uuid}, {name}")

    _worker_parser(sub)
    sub.add_parser("list", help="targets and scenarios")
    return parser


def _capacity_parser(sub) -> None:
    cap = sub.add_parser("capacity", help="each target's highest sustainable upload rate "
                                          "under an SLO, found by search, with its interval")
    cap.add_argument("--targets", default="", help="a,b or -c (all but c); default: all")
    cap.add_argument("--slo", action="append", required=True, type=_arg(parse_slo),
                     help="an objective every sustained rate meets, e.g. 'p99<1s', "
                          "'completion p99<30s', 'ttfb p95<200ms' (repeatable)")
    cap.add_argument("--size", default="1MB", help="size of each upload (default 1MB)")
    cap.add_argument("--work", default="sha256", help="none, sha256, cpu:MS, sleep:MS")
    cap.add_argument("--max-rate", type=float, default=None,
                     help="uploads/s the search never goes beyond (default 2000)")
    cap.add_argument("--start-rate", type=float, default=None,
                     help="first rate tried (default 8/s); doubled until the SLO breaks")
    cap.add_argument("--resolution", default="10%",
                     help="bisect until the bracket is this narrow (default 10%%; --quick 20%%)")
    cap.add_argument("--duration", default=None, help="per level (default 3s; --quick 2s)")
    cap.add_argument("--workers", type=int, default=2, help="server worker processes")
    cap.add_argument("--worker-class", default=None, help="override the gunicorn worker class")
    cap.add_argument("--processes", type=int, default=1,
                     help="Locust processes generating load (when one is the bound)")
    cap.add_argument("--quick", action="store_true",
                     help="2 s levels, 20%% resolution, at most 10 levels per target")
    _endpoint_flags(cap)
    cap.add_argument("--out", default=None, help="output folder (default reports/<run-id>/)")
    cap.add_argument("--quiet", action="store_true", help="no progress lines (CI)")
def _worker_parser(sub) -> None:
    worker = sub.add_parser("worker", help="generate load for a `run --master` elsewhere")
    worker.add_argument("--master-host", required=True, help="the machine running `run --master`")
    worker.add_argument("--master-port", type=int, default=5557)
    worker.add_argument("--processes", type=int, default=1,
                        help="Locust worker processes on this machine (one core each)")


def _master_flags(run: argparse.ArgumentParser) -> None:
    """Locust's distributed mode, with Locust's own flag names."""
    dist = run.add_argument_group("load from other machines (`bench.py worker` on each)")
    dist.add_argument("--master", action="store_true",
                      help="run the plan here; `bench.py worker`s generate the load")
    dist.add_argument("--expect-workers", type=int, default=None,
                      help="Locust worker processes to wait for before each level")
    dist.add_argument("--master-bind-host", default="127.0.0.1",
                      help="address the workers reach this machine at (our targets listen "
                           "there too); default loopback: workers on this machine only")
    dist.add_argument("--master-bind-port", type=int, default=5557)


def _ci_flags(parser: argparse.ArgumentParser) -> None:
    """What CI systems read from a run (besides the exit code)."""
    ci = parser.add_argument_group("results for CI")
    ci.add_argument("--junit", default=None, metavar="FILE",
                    help="write JUnit XML: a testcase per level, per claim, per target verified")
    ci.add_argument("--baseline", default=None, metavar="OLD.json",
                    help="with --junit: a claim's testcase fails when its verdict differs "
                         "from this results.json's")
    ci.add_argument("--csv", action="store_true",
                    help="also write Locust's own CSV files per level (RUN/csv/TARGET/LEVEL_*.csv)")


def _endpoint_flags(run: argparse.ArgumentParser) -> None:
    """--url and how to describe the request to it, in curl's words."""
    ext = run.add_argument_group("anyone's endpoint (--url), described in curl's words")
    ext.add_argument("--url", default=None, type=_arg(req.parse_url),
                     help="benchmark anyone's upload endpoint instead (user:pass@ = basic auth)")
    ext.add_argument("--name", default=None, help="label for --url in the report")
    ext.add_argument("--field", default=None, type=_arg(req.parse_field),
                     help="form field of the file (default: file)")
    ext.add_argument("--form", action="append", type=_arg(req.parse_form), metavar="KEY=VALUE",
                     help="an extra form field sent before the file (repeatable)")
    ext.add_argument("--header", action="append", type=_arg(req.parse_header),
                     metavar="'NAME: VALUE'", help="an extra request header (repeatable)")
    ext.add_argument("--method", default=None, type=str.upper, choices=req.METHODS,
                     help="POST (default for multipart) or PUT (default for raw)")
    ext.add_argument("--body", default=None, choices=req.BODIES,
                     help="multipart (default) or raw: the bytes as the body; {name} in the "
                          "URL path = a unique name per upload")
    ext.add_argument("--expect", default=None, type=_arg(req.parse_expect),
                     help="the 2xx answers that count as success, e.g. 201,204 (default: any)")
    ext.add_argument("--insecure", "-k", action="store_true",
                     help="accept any TLS certificate (self-signed)")
    ext.add_argument("--cacert", default=None, type=_arg(req.parse_cacert),
                     help="CA bundle (PEM) to verify the server's certificate with")
    ext.add_argument("--status-url", default=None,
                     help="status endpoint polled after a 202, with {id} from the answer's "
                          "JSON id, e.g. /jobs/{id}")
    ext.add_argument("--no-verify", action="store_true",
                     help="skip verify's advisory checks of the endpoint")
    _shape_flags(run)


def _shape_flags(run: argparse.ArgumentParser) -> None:
    """Real files and names, 100-continue, chunked bodies, direct-to-storage uploads."""
    shape = run.add_argument_group("the upload's shape (with --url or --presign)")
    shape.add_argument("--file", action="append", type=_arg(req.parse_file), metavar="PATH",
                       help="upload this file's bytes instead of random ones (repeatable: "
                            "in turn); sets the size")
    shape.add_argument("--content-type", default=None, type=_arg(req.parse_content_type),
                       metavar="TYPE", help="the file part's (or raw body's) Content-Type")
    shape.add_argument("--filename", default=None, type=_arg(req.parse_filename),
                       metavar="TEMPLATE", help="file name per upload: {n} (unique number), "
                                                "{uuid}, {name} (the --file's own)")
    shape.add_argument("--expect-continue", action="store_true",
                       help="send Expect: 100-continue and wait for 100 (up to 1 s) first")
    shape.add_argument("--chunked", nargs="?", const=req.CHUNK_DEFAULT, default=None,
                       type=_arg(req.parse_chunk), metavar="SIZE",
                       help="Transfer-Encoding: chunked, in pieces of SIZE (default 64KiB)")
    shape.add_argument("--presign", default=None, type=_arg(req.parse_url), metavar="URL",
                       help="direct to storage: the app's ticket endpoint (README: its JSON)")
    shape.add_argument("--presign-map", action="append", type=_arg(req.parse_ticket_map),
                       metavar="KEY=/POINTER", help="where another ticket shape keeps KEY "
                                                     "(url, method, headers, fields, id, complete)")
    shape.add_argument("--multipart-part-size", default=None, metavar="SIZE",
                       help="S3 multipart upload to --url http://HOST/BUCKET/{name} "
                            "(credentials: AWS_* environment), parts of SIZE (>= 5MiB)")
    shape.add_argument("--multipart-concurrency", type=int, default=None, metavar="N",
                       help="S3 parts in flight per upload (default 4)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    processes.install_handlers()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = [_default_command(argv), *argv]
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args, argv)
    except UsageError as exc:
        print(f"bench.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130


CLAIMS_FLAGS = {"--claims", "--quick", "--workers", "--out", "--quiet", "--junit", "--baseline",
                "--csv", "--browser"}


def _default_command(argv: list[str]) -> str:
    """No subcommand: the claims run, unless a flag only `run` knows is given (`bench.py
    --targets x` keeps meaning `bench.py run --targets x`)."""
    flags = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    return "claims" if flags <= CLAIMS_FLAGS else "run"


# --- commands ---------------------------------------------------------------------------------

def cmd_claims(args, argv) -> int:
    plan = claims_plan_from_args(args)
    ci = CiOutputs.from_args(args)
    return _finished(claims_run.run_claims(plan, argv), plan.quiet, ci)


def cmd_run(args, argv) -> int:
    config = config_from_args(args)
    ci = CiOutputs.from_args(args)
    return _finished(sweep.run_sweep(config, argv), config.quiet, ci)


def cmd_capacity(args, argv) -> int:
    plan, config = capacity_from_args(args)
    out = capacity.run_capacity(plan, config, argv)
    doc = json.loads((out / "results.json").read_text())
    print("\n".join(capacity_report.table_lines(doc)))
    print(out)
    return EXIT_FAILED if any(not v["ok"] for v in doc["verify"]) else EXIT_OK


@dataclass(frozen=True)
class CiOutputs:
    """--junit and --baseline, checked before any load is generated."""
    junit: Path | None = None
    baseline: dict | None = None

    @classmethod
    def from_args(cls, args) -> CiOutputs:
        if args.baseline and not args.junit:
            raise UsageError("--baseline is read for --junit's claim testcases: add --junit FILE")
        try:
            baseline = results.load(args.baseline) if args.baseline else None
        except results.ResultsError as exc:
            raise UsageError(f"--baseline: {exc}")
        return cls(_junit_path(args.junit), baseline)


def _finished(out: Path, quiet: bool, ci: CiOutputs = CiOutputs()) -> int:
    """The end of a run: the table, the CI files (JUnit, GitHub's job summary), the folder."""
    print_summary(out / "results.json", quiet=quiet)
    doc = json.loads((out / "results.json").read_text())
    if ci.junit:
        junit.write(junit.run_suites(doc, ci.baseline), ci.junit)
    job_summary.append(job_summary.run_markdown(doc, out))
    print(out)
    failed = [v["target"] for v in doc["verify"] if not v["ok"]]
    return EXIT_FAILED if failed else EXIT_OK  # the report is written either way


def cmd_verify(args, argv) -> int:
    targets = _select(",".join(args.targets))
    failed = []
    with _tempdir() as logs:
        for target in targets:
            with ExitStack() as stack:
                _, result = start_verified(stack, target, ServerOptions(), logs)
            print(f"{'PASS' if result['ok'] else 'FAIL'}  {target.name}")
            for check in result["checks"]:
                if not check["ok"]:
                    print(f"      {check['name']}: {check['detail']}")
            if not result["ok"]:
                failed.append(target.name)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_serve(args, argv) -> int:
    [target] = _select(args.target)
    try:
        Work.parse(args.work)
        max_upload = parse_size(args.max_upload)
    except ValueError as exc:
        raise UsageError(str(exc))
    options = ServerOptions(workers=_positive(args.workers, "--workers"), max_upload=max_upload,
                            work=args.work, port=args.port, host=args.host,
                            data_dir=Path(args.data_dir).resolve() if args.data_dir else None)
    with _tempdir() as logs:
        try:
            with serve(target, options, logs) as running:
                print(f"{target.name} on {running.url}  (data: {running.data_dir}; Ctrl-C stops)",
                      flush=True)
                running.server.wait()
                print(f"{target.name} exited with code {running.server.returncode}",
                      file=sys.stderr)
                return EXIT_FAILED
        except StartError as exc:
            print(f"bench.py: {target.name} did not start: {exc}", file=sys.stderr)
            return EXIT_FAILED


def cmd_report(args, argv) -> int:
    try:
        doc = results.load(args.results)
    except results.ResultsError as exc:
        raise UsageError(str(exc))
    out = Path(args.results).resolve().parent / "index.html"
    html.render(doc, out)
    print(out)
    return EXIT_OK


def cmd_compare(args, argv) -> int:
    try:
        thresholds = compare.parse_thresholds(args.fail_on)
        old, new = results.load(args.old), results.load(args.new)
    except (ValueError, results.ResultsError) as exc:
        raise UsageError(str(exc))
    junit_path = _junit_path(args.junit)
    lines, crossed = compare.compare(old, new, thresholds)
    print("\n".join(lines))
    for line in crossed:
        print(f"THRESHOLD CROSSED  {line}")
    if thresholds:
        print(f"{len(crossed)} threshold(s) crossed" if crossed else "no threshold crossed")
    if junit_path:  # each limit judged alone, by the same rule: which lines fail it
        crossed_by = {t: compare.compare(old, new, [t])[1] for t in thresholds}
        junit.write({"gates": junit.gate_cases(thresholds, crossed_by),
                     "claims": junit.claim_cases(new, old)}, junit_path, "upbench compare")
    job_summary.append(job_summary.compare_markdown(args.old, args.new, lines, crossed))
    return EXIT_FAILED if crossed else EXIT_OK


def cmd_ui(args, argv) -> int:
    [target] = _select(args.target)
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        raise UsageError(str(exc))
    shape = {"--upload-file": ",".join(args.file or ()), "--content-type": args.content_type,
             "--filename": args.filename}
    return webui.serve_ui(target, args.web_port, _positive(args.workers, "--workers"), args.work,
                          size, args.scenario, _positive(args.users, "--users"),
                          shape={flag: value for flag, value in shape.items() if value})


def cmd_worker(args, argv) -> int:
    return load_worker.run(args.master_host, _port(args.master_port, "--master-port"),
                           _positive(args.processes, "--processes"))


def cmd_list(args, argv) -> int:
    print("targets:")
    for t in registry.discover().values():
        print(f"  {t.name:<19} seeds {','.join(t.seeds) or '-':<8} {t.server:<9} {t.summary}")
    print("scenarios:")
    for s in SCENARIOS.values():
        print(f"  {s.name:<19} {s.summary}")
    print("claims (python bench.py --claims a,b):")
    for c in claims.CLAIMS.values():
        print(f"  {c.id:<31} seed {c.seed[:3]}  {c.claim}")
    return EXIT_OK


COMMANDS = {"claims": cmd_claims, "run": cmd_run, "verify": cmd_verify, "serve": cmd_serve,
            "capacity": cmd_capacity, "report": cmd_report, "compare": cmd_compare, "ui": cmd_ui,
            "list": cmd_list, "worker": cmd_worker}


# --- helpers ----------------------------------------------------------------------------------

def _arg(parse):
    """A converter at the argparse boundary: bad input fails at parse time, in one line."""
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc))
    convert.__name__ = parse.__name__
    return convert


def _junit_path(text: str | None) -> Path | None:
    """--junit FILE: its folder must exist or be creatable now, not after the run."""
    if not text:
        return None
    path = Path(text).resolve()
    if path.is_dir():
        raise UsageError(f"--junit {text}: is a folder; give a file name, e.g. {text}/junit.xml")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--junit {text}: cannot create its folder ({exc.strerror})")
    return path


def _port(value: int, flag: str) -> int:
    if not 0 < value < 65536:
        raise UsageError(f"{flag} {value}: not a port")
    return value


def _select(spec: str):
    try:
        return registry.select(spec)
    except registry.UnknownTarget as exc:
        raise UsageError(str(exc))


def _positive(value: int, flag: str) -> int:
    if value < 1:
        raise UsageError(f"{flag} must be at least 1")
    return value


@contextmanager
def _tempdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="upbench-") as tmp:
        yield Path(tmp)
