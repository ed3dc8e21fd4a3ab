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


def stored_ids(data_dir: Path) -> set[str]:
    return {p.stem for p in data_dir.glob("*.json")}
