"""Command line (the contract: docs/contracts.md, "CLI"). Each subcommand is a `cmd_*` function; flags are
parsed once into frozen config objects. Usage errors: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from loadtests import request as req
from loadtests.catalog import SCENARIOS
from loadtests.units import parse_size
from targets.common.work import Work
from upbench import claims, registry, webui
from upbench.errors import UsageError
from upbench.lifecycle import processes
from upbench.lifecycle.processes import StartError
from upbench.lifecycle.server import ServerOptions, serve
from upbench.plans import claims_plan_from_args, config_from_args
from upbench.reporting import compare, html, results
from upbench.reporting.terminal import print_summary
from upbench.run import claims_run, sweep
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
    _endpoint_flags(run)
    run.add_argument("--out", default=None, help="output folder (default reports/<run-id>/)")
    run.add_argument("--quiet", action="store_true", help="no progress lines (CI)")

    verify = sub.add_parser("verify", help="check targets against the HTTP contract")
    verify.add_argument("targets", nargs="*", help="default: all")

    serve = sub.add_parser("serve", help="run one target in the foreground")
    serve.add_argument("target")
    serve.add_argument("--port", type=int, default=None)
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

    ui = sub.add_parser("ui", help="start a target and Locust's web UI against it")
    ui.add_argument("target")
    ui.add_argument("--web-port", type=int, default=8089)
    ui.add_argument("--workers", type=int, default=2)
    ui.add_argument("--work", default="sha256")
    ui.add_argument("--size", default="1MB", help="initial upload size (editable in the UI)")
    ui.add_argument("--scenario", default="upload",
                    help="the form's default scenario (the others stay selectable)")
    ui.add_argument("--users", type=int, default=4, help="the form's default number of users")

    sub.add_parser("list", help="targets and scenarios")
    return parser


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


CLAIMS_FLAGS = {"--claims", "--quick", "--workers", "--out", "--quiet", "--browser"}


def _default_command(argv: list[str]) -> str:
    """No subcommand: the claims run, unless a flag only `run` knows is given (`bench.py
    --targets x` keeps meaning `bench.py run --targets x`)."""
    flags = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    return "claims" if flags <= CLAIMS_FLAGS else "run"


# --- commands ---------------------------------------------------------------------------------

def cmd_claims(args, argv) -> int:
    plan = claims_plan_from_args(args)
    return _finished(claims_run.run_claims(plan, argv), plan.quiet)


def cmd_run(args, argv) -> int:
    config = config_from_args(args)
    return _finished(sweep.run_sweep(config, argv), config.quiet)


def _finished(out: Path, quiet: bool) -> int:
    print_summary(out / "results.json", quiet=quiet)
    print(out)
    failed = [v["target"] for v in json.loads((out / "results.json").read_text())["verify"]
              if not v["ok"]]
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
                            work=args.work, port=args.port,
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
    lines, crossed = compare.compare(old, new, thresholds)
    print("\n".join(lines))
    for line in crossed:
        print(f"THRESHOLD CROSSED  {line}")
    if thresholds:
        print(f"{len(crossed)} threshold(s) crossed" if crossed else "no threshold crossed")
    return EXIT_FAILED if crossed else EXIT_OK


def cmd_ui(args, argv) -> int:
    [target] = _select(args.target)
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        raise UsageError(str(exc))
    return webui.serve_ui(target, args.web_port, _positive(args.workers, "--workers"), args.work,
                     size, args.scenario, _positive(args.users, "--users"))


def cmd_list(args, argv) -> int:
    print("targets:")
    for t in registry.discover().values():
        print(f"  {t.name:<15} seeds {','.join(t.seeds) or '-':<8} {t.server:<9} {t.summary}")
    print("scenarios:")
    for s in SCENARIOS.values():
        print(f"  {s.name:<15} {s.summary}")
    print("claims (python bench.py --claims a,b):")
    for c in claims.CLAIMS.values():
        print(f"  {c.id:<31} seed {c.seed[:3]}  {c.claim}")
    return EXIT_OK


COMMANDS = {"claims": cmd_claims, "run": cmd_run, "verify": cmd_verify, "serve": cmd_serve,
            "report": cmd_report, "compare": cmd_compare, "ui": cmd_ui, "list": cmd_list}


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
