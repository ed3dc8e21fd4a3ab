"""Plain helpers the tests import (fixtures stay in conftest.py)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from upbench import registry

ALL_TARGETS = list(registry.discover())
# the multipart POST /upload contract; a "presign" target takes its uploads through a ticket
# (tests/test_presigned.py holds its contract)
MULTIPART_TARGETS = [name for name, t in registry.discover().items()
                     if "presign" not in t.protocols]
SMALL_LIMIT = 2 * 2**20  # a low --max-upload so the 413 cases stay cheap


def wait_until(condition, timeout: float = 10.0, what: str = "condition"):
    """Poll a condition (a readiness check, not a sleep): fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port` (a readiness check)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def interrupt_and_check_tree(proc, must_run: tuple[str, ...]) -> None:
    """Ctrl-C a bench.py process whose children include `must_run` (command-line parts); then
    nothing of its process tree may be left running."""
    import signal

    import psutil

    tree = psutil.Process(proc.pid).children(recursive=True)
    for part in must_run:
        assert any(part in " ".join(p.cmdline()) for p in tree), f"{part} is not running"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]


def stored_ids(data_dir: Path) -> set[str]:
    return {p.stem for p in data_dir.glob("*.json")}
