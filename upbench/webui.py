"""`bench.py ui TARGET`: the target plus Locust's web UI, offering the scenarios that target
supports (a "scenario" field in the form, "upload" by default; see loadtests/webui_tab.py) and
an "upbench" tab with the target's live RSS/CPU and a warning when uploads fail.
Ctrl-C stops both.

Offered: every scenario whose needs the target meets, as `bench.py run` decides it (tus only
for a tus target, bystanders only with /health), except those where upbench kills the target
(crash): the UI never does, so it would be `upload` under another name; nor `oversize`,
whose sizes must be over a limit the UI's target does not have (it runs with 1 GiB).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from loadtests.catalog import SCENARIOS, Scenario
from targets.spec import Target
from upbench.errors import UsageError
from upbench.lifecycle import processes
from upbench.lifecycle.ports import port_free
from upbench.lifecycle.processes import StartError, wait_for
from upbench.lifecycle.server import ServerOptions, answers, serve
from upbench.paths import LOCUSTFILE
from upbench.run.subject import Subject


def offered(subject: Subject) -> list[Scenario]:
    """The scenarios the UI offers against `subject` (one of our targets: /health, its
    protocols), in the catalogue's order."""
    return [s for s in SCENARIOS.values()
            if not s.own_server and not s.over_limit and subject.missing(s) is None]


def serve_ui(target: Target, web_port: int, workers: int, work: str, size: int,
             scenario: str = "upload", users: int = 4, shape: dict[str, str] | None = None) -> int:
    """`shape`: the form's initial file, type and name fields (Locust flag -> value)."""
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    names = [s.name for s in offered(Subject.planned(target))]
    if scenario not in names:
        raise UsageError(f"{target.name} cannot run scenario {scenario!r} in the web UI "
                         f"(it offers: {', '.join(names)})")
    if not port_free(web_port):
        print(f"bench.py: error: port {web_port} is in use (choose --web-port)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="upbench-ui-") as tmp:
        logs = Path(tmp)
        try:
            with serve(target, ServerOptions(workers=workers, work=work), logs) as running:
                env = {**running.env, "UPBENCH_TARGET_PIDS": ",".join(
                    map(str, running.app_pids)), "UPBENCH_TARGET": target.name,
                    "UPBENCH_UI_SCENARIOS": ",".join(names)}
                cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host",
                       running.url, "--web-host", "127.0.0.1", "--web-port", str(web_port),
                       "--upload-size", str(size), "--scenario", scenario,
                       "--users", str(users), "--spawn-rate", str(users),
                       *[arg for pair in (shape or {}).items() for arg in pair],
                       *SCENARIOS[scenario].classes]
                ui = processes.start(cmd, env=env, log=logs / "locust.log")
                try:
                    wait_for(lambda: answers(f"http://127.0.0.1:{web_port}/"), ui,
                             logs / "locust.log", "Locust web UI")
                    print(f"{target.name} on {running.url}\nLocust web UI: "
                          f"http://127.0.0.1:{web_port}  (Ctrl-C stops both)\n"
                          f"scenarios: {', '.join(names)} (the form's Custom parameters → Scenario; "
                          f"default {scenario})", flush=True)
                    return 0 if ui.wait() == 0 else 1
                finally:
                    processes.stop(ui)
        except StartError as exc:
            print(f"bench.py: {target.name} did not start: {exc}", file=sys.stderr)
            return 1
