"""`bench.py ui TARGET`: the target plus Locust's web UI, with the harness's scenarios as
selectable user classes (--class-picker) and an "upbench" tab showing the target's live RSS/CPU.
Ctrl-C stops both."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from targets.spec import Target
from upbench.lifecycle import processes
from upbench.lifecycle.ports import port_free
from upbench.lifecycle.processes import StartError, wait_for
from upbench.lifecycle.server import ServerOptions, answers, serve
from upbench.paths import LOCUSTFILE


def run(target: Target, web_port: int, workers: int, work: str, size: int) -> int:
    if not port_free(web_port):
        print(f"bench.py: error: port {web_port} is in use (choose --web-port)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="upbench-ui-") as tmp:
        logs = Path(tmp)
        try:
            with serve(target, ServerOptions(workers=workers, work=work), logs) as running:
                env = {**running.env, "UPBENCH_TARGET_PIDS": ",".join(
                    map(str, running.app_pids)), "UPBENCH_TARGET": target.name}
                cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host",
                       running.url, "--web-host", "127.0.0.1", "--web-port", str(web_port),
                       "--class-picker", "--upload-size", str(size)]
                ui = processes.start(cmd, env=env, log=logs / "locust.log")
                try:
                    wait_for(lambda: answers(f"http://127.0.0.1:{web_port}/"), ui,
                             logs / "locust.log", "Locust web UI")
                    print(f"{target.name} on {running.url}\nLocust web UI: "
                          f"http://127.0.0.1:{web_port}  (Ctrl-C stops both)", flush=True)
                    return 0 if ui.wait() == 0 else 1
                finally:
                    processes.stop(ui)
        except StartError as exc:
            print(f"bench.py: {target.name} did not start: {exc}", file=sys.stderr)
            return 1
