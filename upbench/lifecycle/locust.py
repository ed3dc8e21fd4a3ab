"""One load level = one headless Locust subprocess (Locust monkey-patches the world on import,
so it never runs inside the orchestrator). Its raw samples land in a folder of their own.

How anyone's endpoint wants its uploads (headers, credentials, form fields: `RequestSpec`)
goes to Locust in its environment, never on its command line, where `ps` would show secrets;
so does an upload path with a query string (a presigned URL's signature)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from loadtests.catalog import SCENARIOS
from loadtests.request import TUS_RETRY_DELAYS, RequestSpec
from loadtests.samples import WORKERS_FILE
from upbench.config import BANDWIDTH, CHUNK_SIZE, DROP_RATE, LoadLevel
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.paths import LOCUSTFILE

OPEN_LOOP_MARGIN_S = 2  # Locust's clock starts before the users': let them finish their timetable
STOP_GRACE_S = 60.0     # in-flight uploads may finish after the time limit (--stop-timeout)
WORKER_WAIT_S = 120.0   # --master: how long a level waits for its workers to connect


@dataclass(frozen=True)
class MasterSpec:
    """`run --master`: Locust's master on this machine, `bench.py worker`s elsewhere."""
    expect_workers: int
    bind_host: str = "127.0.0.1"
    bind_port: int = 5557
    wait_s: float = WORKER_WAIT_S

    def flags(self) -> list[str]:
        return ["--master", "--expect-workers", str(self.expect_workers),
                "--expect-workers-max-wait", f"{self.wait_s:g}",
                "--master-bind-host", self.bind_host, "--master-bind-port", str(self.bind_port)]


@dataclass(frozen=True)
class LoadSpec:
    base_url: str
    scenario: str
    size: int
    level: LoadLevel
    duration: float
    target_name: str
    samples_dir: Path
    upload_path: str = "/upload"
    status_path: str = "/uploads/{id}"
    completion: str = "poll"   # "records": the harness reads the server's records (no polls)
    bandwidth: int = BANDWIDTH
    chunk_size: int = CHUNK_SIZE
    drop_rate: float = DROP_RATE
    processes: int = 1
    cpus: frozenset[int] | None = None   # pin the generator (upbench.lifecycle.pinning)
    request: RequestSpec = RequestSpec()
    retry_delays: tuple[float, ...] = TUS_RETRY_DELAYS
    csv_prefix: Path | None = None       # --csv: Locust writes PREFIX_stats.csv etc.
    master: MasterSpec | None = None     # --master: remote workers generate the load


def locust_command(spec: LoadSpec) -> list[str]:
    scenario = SCENARIOS[spec.scenario]
    run_time = math.ceil(spec.duration)  # Locust counts whole seconds
    if spec.level.model == "open":  # one scheduling user per Locust process shares the rate
        users, user_rate = spec.processes, spec.level.rate / spec.processes
        run_time += OPEN_LOOP_MARGIN_S  # the users keep their own timetable of `duration`
    else:
        users, user_rate = (spec.level.users if scenario.uploads else 0), 0.0
    users += scenario.bystanders
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
           "--host", spec.base_url, "--users", str(users), "--spawn-rate", str(users),
           "--run-time", f"{run_time}s", "--schedule-for", f"{spec.duration:g}",
           "--stop-timeout", f"{STOP_GRACE_S:g}",
           "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
           "--upload-size", str(spec.size), "--status-path", spec.status_path,
           "--completion", spec.completion,
           "--bandwidth", str(spec.bandwidth),
           "--retry-delays", ",".join(f"{d:g}" for d in spec.retry_delays),
           "--user-rate", f"{user_rate:g}", "--chunk-size", str(spec.chunk_size),
           "--drop-rate", f"{spec.drop_rate:g}",
           "--poll-timeout", f"{scenario.poll_timeout:g}",
           "--target-name", spec.target_name, "--samples-dir", str(spec.samples_dir)]
    if "?" not in spec.upload_path:
        cmd += ["--upload-path", spec.upload_path]
    if scenario.bystanders:  # they label their samples with it (the web UI: the form's choice)
        cmd += ["--scenario", scenario.name]
    if spec.csv_prefix is not None:
        cmd += ["--csv", str(spec.csv_prefix)]
    if spec.master is not None:  # `bench.py worker`s elsewhere generate the load
        cmd += spec.master.flags()
    elif spec.processes > 1:  # Locust's master/worker mode; its port on loopback, free
        port = free_port()
        cmd += ["--processes", str(spec.processes), "--master-bind-host", "127.0.0.1",
                "--master-bind-port", str(port), "--master-port", str(port)]
    return cmd + list(scenario.classes)


def locust_env(spec: LoadSpec) -> dict[str, str]:
    """What the Locust process gets beside its command line: the request, secrets included."""
    env = {**os.environ, "UPBENCH_REQUEST": spec.request.to_json()}
    if "?" in spec.upload_path:
        env["UPBENCH_UPLOAD_PATH"] = spec.upload_path
    return env


class LocustProcess:
    """A started Locust process; `pids` feeds the client-side sampler."""

    def __init__(self, spec: LoadSpec):
        # A re-used --out folder must not mix an earlier run's samples or log into this level.
        spec.samples_dir.mkdir(parents=True, exist_ok=True)
        for old in [*spec.samples_dir.glob("samples-*.csv"), spec.samples_dir / WORKERS_FILE]:
            old.unlink(missing_ok=True)
        if spec.csv_prefix is not None:
            spec.csv_prefix.parent.mkdir(parents=True, exist_ok=True)
        self.spec = spec
        self.log = spec.samples_dir / "locust.log"
        self.log.unlink(missing_ok=True)
        self.proc = processes.start(locust_command(spec), env=locust_env(spec), log=self.log,
                                    cpus=spec.cpus)

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc.poll() is None else []

    def wait(self) -> int:
        timeout = self.spec.duration + STOP_GRACE_S + 60  # imports, stop, polls, flush
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            processes.stop(self.proc)


def farewell(master: MasterSpec, log: Path, wait_s: float = 30.0) -> int:
    """The plan is over: one last, empty master tells each `bench.py worker` to exit."""
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", "0",
           "--spawn-rate", "1", "--run-time", "1s", "--only-summary", "--loglevel", "WARNING",
           "--farewell", *MasterSpec(master.expect_workers, master.bind_host, master.bind_port,
                                     wait_s).flags()]
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = processes.start(cmd, log=log)
    try:
        return proc.wait(timeout=wait_s + 30)
    except subprocess.TimeoutExpired:
        return -1
    finally:
        processes.stop(proc)
