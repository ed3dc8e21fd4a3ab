"""Every target starts as real processes and leaves nothing behind when stopped."""

from __future__ import annotations

import psutil
import pytest

from tests.helpers import ALL_TARGETS
from upbench import registry
from upbench.lifecycle.server import ServerOptions, serve


def tree(pids):
    procs = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return procs


EXPECTED = {"queued": ("gunicorn", "celery", "redis-server"), "s3": ("gunicorn", "moto"),
            "fastapi-async": ("uvicorn",), "fastapi-stream": ("uvicorn",)}


@pytest.mark.parametrize("name", ALL_TARGETS)
def test_target_starts_for_real_and_stops_without_leftovers(name, tmp_path):
    spec = registry.discover()[name]
    with serve(spec, ServerOptions(workers=2), tmp_path) as running:
        procs = tree(running.app_pids + running.service_pids)
        cmdlines = " ".join(" ".join(p.cmdline()) for p in procs)
        for part in EXPECTED.get(name, ("gunicorn",)):
            assert part in cmdlines, f"{part} not running for {name}"
        assert len(procs) >= 3  # a server manager and its 2 workers, at least
        data_dir = running.data_dir
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]
    assert not data_dir.exists()  # the temporary data dir went with it
