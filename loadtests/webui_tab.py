"""upbench in Locust's web UI (its extension points: custom arguments, extended_tabs/
extended_stats, the Flask app): which scenario a swarm runs, and an "upbench" tab.

Scenario, not user classes: Locust's class picker (`--class-picker`) starts its form with every
user class of the locustfile checked, and without it a swarm spreads over the classes named on
the command line (all, when none is). Either way a first swarm against flask-stream had one tus
user among four, hammering a target without tus (99 % failures). So the form gets a
`scenario` field instead — a choice among the scenarios the target supports (`bench.py ui`
names them in UPBENCH_UI_SCENARIOS; plain `locust -f` offers all of them), "upload" by
default — and a new swarm starts exactly that scenario's user classes, bystanders as their
fixed count, as a headless level would. A swarm edited while it runs keeps its classes.

The "upbench" tab: a warning when uploads fail (the same sentence as the terminal and the
report, loadtests/failures.py), the target's live RSS and CPU (psutil over the process trees
named by UPBENCH_TARGET_PIDS), the 202 uploads still awaiting completion; the "scenarios" tab
says which user classes each offered scenario runs.
"""

from __future__ import annotations

import json
import os

from locust import events

from loadtests import failures, scenarios
from loadtests.catalog import SCENARIOS, Scenario

TAB = "upbench"
SCENARIO_TAB = "scenarios"
DEFAULT_SCENARIO = "upload"


def offered() -> list[Scenario]:
    """The scenarios the form offers: UPBENCH_UI_SCENARIOS ("upload,mixed"), or every scenario
    the web UI can run (never one that needs upbench to kill the target)."""
    names = [n for n in os.environ.get("UPBENCH_UI_SCENARIOS", "").split(",") if n in SCENARIOS]
    return [SCENARIOS[n] for n in names] or [s for s in SCENARIOS.values()
                                             if not s.own_server and not s.over_limit]


def classes_of(scenario: Scenario) -> str:
    """"UploadUser + 2 BystanderUser" — what a swarm of this scenario starts."""
    return " + ".join(f"{scenario.bystanders} {name}" if name == "BystanderUser" and
                      scenario.bystanders else name for name in scenario.classes)


@events.init_command_line_parser.add_listener
def _options(parser):
    names = [s.name for s in offered()]
    parser.add_argument(
        "--scenario", env_var="UPBENCH_SCENARIO", choices=names,
        default=DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0],
        help="Web UI: the upbench scenario a new swarm runs (its user classes; see the "
             "'scenarios' tab)")


@events.init.add_listener
def _install(environment, **_):
    if environment.web_ui is None:
        return
    from flask import jsonify, request
    from locust.runners import STATE_RUNNING, STATE_SPAWNING

    app = environment.web_ui.app

    @app.before_request
    def _scenario_classes():
        """Before Locust's /swarm view starts the runner: the chosen scenario's classes."""
        if request.path != "/swarm" or request.method != "POST" or "scenario" not in request.form:
            return None
        if environment.runner.state in (STATE_RUNNING, STATE_SPAWNING):
            return None  # an edit of the running swarm (its user count): same classes
        name = request.form["scenario"]
        if name not in SCENARIOS:
            return jsonify({"success": False, "host": environment.host,
                            "message": f"unknown scenario {name!r}"}), 400
        available = environment.available_user_classes or {}
        environment.user_classes = [available[c] for c in SCENARIOS[name].classes]
        return None

    environment.web_ui.template_args["extended_tabs"] = [
        {"title": "upbench", "key": TAB}, {"title": "scenarios", "key": SCENARIO_TAB}]
    environment.web_ui.template_args["extended_tables"] = [
        {"key": TAB, "structure": [{"key": "metric", "title": "Metric"},
                                   {"key": "value", "title": "Value"}]},
        {"key": SCENARIO_TAB, "structure": [{"key": "scenario", "title": "Scenario"},
                                            {"key": "classes", "title": "User classes"},
                                            {"key": "summary", "title": "What it does"}]}]
    scenario_rows = [{"scenario": s.name, "classes": classes_of(s), "summary": s.summary}
                     for s in offered()]
    target = _TargetTree([int(p) for p in os.environ.get("UPBENCH_TARGET_PIDS", "").split(",")
                          if p])

    @app.after_request
    def _extend_stats(response):
        if request.path == "/stats/requests" and response.is_json:
            body = response.get_json()
            body["extended_stats"] = [
                {"key": TAB, "data": [*_failure_rows(environment), *target.rows()]},
                {"key": SCENARIO_TAB, "data": scenario_rows}]
            response.set_data(json.dumps(body))
        return response


def _failure_rows(environment) -> list[dict]:
    """The failure warning, live: Locust's counts of this swarm's uploads (bystanders apart)
    and the error kinds the scenarios counted."""
    opts = environment.parsed_options
    uploads = [e for e in environment.runner.stats.entries.values()
               if e.method != scenarios.BystanderUser.request_type]
    requests = sum(e.num_requests for e in uploads)
    failed = sum(e.num_failures for e in uploads)
    running = SCENARIOS.get(getattr(opts, "scenario", ""))
    path = opts.upload_path or (running.upload_path if running else "the upload path")
    warning = failures.warning(requests, failed, dict(scenarios.failed_kinds), path)
    return [{"metric": "warning", "value": warning["text"] if warning else "none"},
            {"metric": "failed uploads", "value": f"{failed} of {requests}"
             + (f" ({failures.share(requests, failed) * 100:.1f} %)" if requests else "")},
            {"metric": "scenario", "value": f"{running.name}: {classes_of(running)}"
             if running else "the user classes given to Locust"}]


class _TargetTree:
    """RSS and CPU of the target's process trees (psutil), and the 202 uploads in flight."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.tracked: dict = {}

    def rows(self) -> list[dict]:
        import psutil

        rss = cpu = 0.0
        for root in self.pids:
            try:
                tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
            except psutil.Error:
                continue
            for proc in tree:
                proc = self.tracked.setdefault(proc.pid, proc)
                try:
                    rss += proc.memory_info().rss
                    cpu += proc.cpu_percent(None)
                except psutil.Error:
                    self.tracked.pop(proc.pid, None)
        return [{"metric": "target RSS (MB)", "value": round(rss / 1e6, 1)},
                {"metric": "target CPU (%)", "value": round(cpu, 1)},
                {"metric": "202 uploads awaiting completion", "value": len(scenarios.pending)},
                {"metric": "202 uploads completed", "value": scenarios.completed["count"]}]
