"""Child processes that cannot outlive the harness.

Every process starts in its own session (so its own process group: gunicorn's workers, a
Celery worker's pool, uvicorn's children all share it) and is registered here. `stop()` sends
SIGTERM to the whole group, waits, then SIGKILLs what is left. `stop_all()` runs at exit and on
SIGTERM/SIGHUP; Ctrl-C unwinds through the callers' `finally` blocks to the same place. As a
last line of defence each child gets PR_SET_PDEATHSIG, so even a SIGKILLed harness takes its
direct children with it.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_live: dict[int, subprocess.Popen] = {}
READY_TIMEOUT_S = 30.0


class StartError(RuntimeError):
    """A process did not come up: the message carries the tail of its log."""
_PR_SET_PDEATHSIG = 1


def _child_setup(cpus: frozenset[int] | None):
    def setup() -> None:
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass  # not Linux: the atexit/signal path still applies
        if cpus:
            os.sched_setaffinity(0, cpus)  # inherited by every process it starts
    return setup


def start(cmd: list[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None,
          log: Path | None = None, cpus: frozenset[int] | None = None) -> subprocess.Popen:
    """Start `cmd` in a session of its own, optionally pinned to `cpus`. Call it from the main
    thread: the parent-death signal fires when the *thread* that started the child ends."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_child_setup(cpus))
    finally:
        if log:
            out.close()
    _live[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen, grace: float = 8.0) -> None:
    """Stop the process and its whole group; returns when nothing of it is left."""
    pgid = proc.pid  # session leader: its pid is the group id
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        if _wait_group_gone(proc, pgid, wait):
            break
    try:
        proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        pass
    _live.pop(proc.pid, None)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole group at once: a crash, not a shutdown."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _wait_group_gone(proc, proc.pid, 5.0)
    _live.pop(proc.pid, None)


def stop_all() -> None:
    for proc in list(_live.values()):
        stop(proc, grace=3.0)


def poll_until(check: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """Call `check()` every `interval` s until it returns something true, for at most
    `timeout` s: that value, or None. The one loop upbench waits on anything outside it with."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() >= deadline:
            return found or None
        time.sleep(interval)


def _wait_group_gone(proc: subprocess.Popen, pgid: int, timeout: float) -> bool:
    def gone() -> bool:
        proc.poll()  # reap the leader so it does not linger as a zombie
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        return _only_zombies(pgid)
    return bool(poll_until(gone, timeout))


def _only_zombies(pgid: int) -> bool:
    import psutil

    for p in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                return False
        except (ProcessLookupError, psutil.Error):
            continue
    return True


def wait_for(ready: Callable[[], bool], proc, log: Path, what: str,
             timeout: float = READY_TIMEOUT_S) -> None:
    """Poll `ready()` until it holds; fail early, with the log's tail, if `proc` exits."""
    def up() -> bool:
        if proc.poll() is not None:
            raise StartError(f"{what} exited with code {proc.returncode}:\n{log_tail(log)}")
        return ready()
    if poll_until(up, timeout, interval=0.1):
        return
    raise StartError(f"{what} not ready after {timeout:.0f}s:\n{log_tail(log)}")


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _on_signal(signum, _frame):
    stop_all()
    raise SystemExit(128 + signum)


def install_handlers() -> None:
    """Called once by the CLI: clean up on exit and on termination signals."""
    atexit.register(stop_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
