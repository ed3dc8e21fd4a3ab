"""`bench.py worker --master-host H [--master-port P] [--processes K]`: generate the load of a
`bench.py run --master` running elsewhere.

Each level of the master's plan is one Locust master process there; here, one Locust worker
process (with `--processes K`, Locust's own fork into K workers) connects to it, runs the
level's users with the options the master sends, streams its raw samples back over Locust's
messages (loadtests/relay.py), and exits when that master quits. This loop then starts the
next one, until the plan's last master says farewell. Bounded: Locust's worker gives up after
waiting five minutes for a master, and this loop after three such failures in a row.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from loadtests.relay import FAREWELL_EXIT, LEVEL_EXIT
from upbench.lifecycle import processes
from upbench.lifecycle.processes import log_tail
from upbench.paths import LOCUSTFILE

MAX_LEVELS = 100_000
MAX_FAILURES = 3


def command(master_host: str, master_port: int, processes_: int) -> list[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
           "--master-host", master_host, "--master-port", str(master_port),
           "--loglevel", "WARNING"]
    return cmd + (["--processes", str(processes_)] if processes_ > 1 else [])


def run(master_host: str, master_port: int, processes_: int) -> int:
    with tempfile.TemporaryDirectory(prefix="upbench-worker-") as tmp:
        log = Path(tmp) / "locust-worker.log"
        print(f"worker: {processes_} process(es) for the master at {master_host}:{master_port}",
              file=sys.stderr, flush=True)
        failures = 0
        for level in range(1, MAX_LEVELS + 1):
            log.unlink(missing_ok=True)
            proc = processes.start(command(master_host, master_port, processes_), log=log)
            try:
                code = proc.wait()
            finally:
                processes.stop(proc)
            if code == FAREWELL_EXIT:
                print("worker: the master's plan is over", file=sys.stderr, flush=True)
                return 0
            if code == LEVEL_EXIT:
                print(f"worker: level {level} done", file=sys.stderr, flush=True)
                failures = 0
                continue
            failures += 1
            print(f"worker: Locust exited with {code}: {log_tail(log, 3).strip()}",
                  file=sys.stderr, flush=True)
            if failures >= MAX_FAILURES:
                return 1
    return 1
