"""Real servers for the tests: each target started for real (gunicorn/uvicorn/..., own process
group, free port, readiness wait) and always stopped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from upbench import registry
from upbench.server import ServerOptions, serve

ALL_TARGETS = list(registry.discover())
SMALL_LIMIT = 2 * 2**20  # a low --max-upload so the 413 cases stay cheap


@pytest.fixture(scope="module", params=ALL_TARGETS)
def target(request, tmp_path_factory):
    """Every target, running with a 2 MiB upload limit."""
    spec = registry.discover()[request.param]
    logs = tmp_path_factory.mktemp(f"logs-{spec.name}")
    with serve(spec, ServerOptions(max_upload=SMALL_LIMIT), logs) as running:
        yield running


def wait_until(condition, timeout: float = 10.0, what: str = "condition"):
    """Poll a condition (a readiness check, not a sleep): fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


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
