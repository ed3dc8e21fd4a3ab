"""Every target starts as real processes and leaves nothing behind when stopped."""

from __future__ import annotations

import psutil
import pytest

from tests.helpers import ALL_TARGETS, wait_until
from upbench import registry
from upbench.lifecycle.front import nginx_binary
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


SIDE = {"redis": "redis-server", "s3": "moto", "celery-worker": "celery"}
SERVER = {"werkzeug": "targets.common.app_run"}  # app.run(): a module of ours, one process


@pytest.mark.parametrize("name", ALL_TARGETS)
def test_target_starts_for_real_and_stops_without_leftovers(name, tmp_path):
    spec = registry.discover()[name]
    if spec.front and nginx_binary() is None:  # .ci/run installs it
        pytest.skip(f"{name} runs behind nginx, which is not installed (apt-get install nginx-light)")
    with serve(spec, ServerOptions(workers=2), tmp_path) as running:
        # ready = one worker answers; the second may still be booting: wait for it
        least = 1 if spec.server in SERVER else 3  # app.run() is one process, no workers
        procs = wait_until(lambda: (lambda ps: ps if len(ps) >= least else None)(
            tree(running.app_pids + running.service_pids)), what="a manager and 2 workers")
        cmdlines = " ".join(" ".join(p.cmdline()) for p in procs)
        for part in (SERVER.get(spec.server, spec.server),
                     *(SIDE[s] for s in spec.services + spec.sidecars),
                     *(["nginx"] if spec.front else [])):
            assert part in cmdlines, f"{part} not running for {name}"
        data_dir = running.data_dir
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]
    assert not data_dir.exists()  # the temporary data dir went with it
