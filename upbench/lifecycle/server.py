"""Starting a target: its helper services, its server, its sidecars — then a readiness wait.

`serve()` is a context manager: whatever happens inside (success, failure, Ctrl-C), every
process of the target is stopped on the way out. A target that does not come up raises
`StartError` with the tail of its log, and the caller moves on to the next target.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from targets.spec import Target
from upbench.config import MAX_UPLOAD, WORKERS
from upbench.lifecycle import front, processes, services
from upbench.lifecycle.ports import free_port, port_free
from upbench.lifecycle.processes import READY_TIMEOUT_S, StartError, wait_for
from upbench.measure.storage import Storage
from upbench.paths import SOURCE_ROOT


@dataclass(frozen=True)
class ServerOptions:
    workers: int = WORKERS
    worker_class: str | None = None   # None: the target's own
    max_upload: int = MAX_UPLOAD
    work: str = "sha256"
    port: int | None = None           # None: a free port
    data_dir: Path | None = None      # None: a fresh temporary folder, removed afterwards
    cpus: frozenset[int] | None = None  # pin the target's processes (see upbench.lifecycle.pinning)
    host: str = "127.0.0.1"           # the address it listens on (remote load workers: theirs)


@dataclass
class RunningTarget:
    target: Target
    url: str
    data_dir: Path
    log: Path
    env: dict[str, str]
    server_cmd: list[str]
    cpus: frozenset[int] | None = None
    procs: list = field(default_factory=list)     # every process of the target (for sampling)
    services: list = field(default_factory=list)  # of those, the helper services
    restart: Callable[[], None] | None = None     # crash_and_restart(), bound by serve()

    @property
    def server(self):
        """The web server process (gunicorn/uvicorn master)."""
        return next(p for p in self.procs if p not in self.services)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.data_dir, self.env)

    @property
    def app_pids(self) -> list[int]:
        """The pattern's own processes: server and sidecars (e.g. the Celery worker)."""
        return [p.pid for p in self.procs if p not in self.services and p.poll() is None]

    @property
    def service_pids(self) -> list[int]:
        """Infrastructure started for it (Redis, the S3 endpoint): sampled apart."""
        return [p.pid for p in self.services if p.poll() is None]


def server_command(target: Target, options: ServerOptions, port: int) -> list[str]:
    workers = str(options.workers)
    if target.server == "gunicorn":
        return [sys.executable, "-m", "gunicorn", target.app, "--bind", f"{options.host}:{port}",
                "--workers", workers, "--worker-class", options.worker_class or target.worker_class,
                "--timeout", "300", "--graceful-timeout", "5", "--log-level", "warning",
                "--worker-tmp-dir", tempfile.gettempdir()]
    if target.server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", target.app, "--host", options.host,
                "--port", str(port), "--workers", workers, "--log-level", "warning",
                "--no-access-log", "--timeout-graceful-shutdown", "5"]
    if target.server == "werkzeug":  # app.run(): one process, a thread per request
        return [sys.executable, "-m", "targets.common.app_run", target.app, str(port)]
    raise ValueError(f"target {target.name}: unknown server {target.server!r}")


@contextmanager
def serve(target: Target, options: ServerOptions, log_dir: Path) -> Iterator[RunningTarget]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{target.name}.log"
    if options.port and not port_free(options.port):
        # a server already there would answer our readiness check in this one's place
        raise StartError(f"{target.name}: port {options.port} is already in use")
    port = options.port or free_port()
    with ExitStack() as stack:
        data_dir = options.data_dir
        if data_dir is None:
            data_dir = Path(tempfile.mkdtemp(prefix=f"upbench-{target.name}-"))
            stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": _pythonpath(), "PYTHONUNBUFFERED": "1",
               "UPBENCH_DATA_DIR": str(data_dir), "UPBENCH_MAX_UPLOAD": str(options.max_upload),
               "UPBENCH_WORK": options.work}
        running = RunningTarget(target, f"http://{options.host}:{port}", data_dir, log, env,
                                server_command(target, options, port), options.cpus)

        def start_app() -> None:
            start_server(running, stack)
            for name in target.sidecars:  # e.g. the Celery worker
                running.procs.extend(services.start_sidecar(name, env, options, log, stack, port))

        def crash_and_restart() -> None:
            """SIGKILL the server and its sidecars (services such as Redis or the S3 endpoint
            are infrastructure and stay up), then start them again on the same port."""
            for proc in [p for p in running.procs if p not in running.services]:
                processes.kill(proc)
            running.procs[:] = list(running.services)
            start_app()

        running.restart = crash_and_restart
        try:
            for name in target.services:  # e.g. redis, an S3 endpoint: up before the app
                procs, extra_env = services.start_service(name, data_dir, log_dir, stack,
                                                          options.cpus)
                running.services.extend(procs)
                env.update(extra_env)
            running.procs.extend(running.services)
            start_app()
            if target.front:  # a proxy in front: infrastructure, up until the target stops
                procs, running.url = front.start_nginx(
                    port, options.max_upload, log, stack,
                    lambda url: answers(f"{url}/health"), options.cpus)
                running.services.extend(procs)
                running.procs.extend(procs)
        except OSError as exc:  # only starting: an OSError while measuring is not "did not start"
            raise StartError(f"{target.name}: {exc}") from exc
        yield running


def start_server(running: RunningTarget, stack: ExitStack) -> None:
    """(Re)start the server process of a running target and wait until it answers."""
    proc = processes.start(running.server_cmd, env=running.env, cwd=SOURCE_ROOT, log=running.log,
                           cpus=running.cpus)
    stack.callback(processes.stop, proc)
    running.procs.append(proc)
    wait_ready(running.url, proc, running.log)


def wait_ready(url: str, proc, log: Path, timeout: float = READY_TIMEOUT_S) -> None:
    wait_for(lambda: answers(f"{url}/health"), proc, log, "server", timeout)


def answers(url: str) -> bool:
    """GET url -> 200?"""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _pythonpath() -> str:
    current = os.environ.get("PYTHONPATH")
    return f"{SOURCE_ROOT}{os.pathsep}{current}" if current else str(SOURCE_ROOT)
