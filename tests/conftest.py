"""Real servers for the tests: each target started for real (gunicorn/uvicorn/..., own process
group, free port, readiness wait) and always stopped."""

from __future__ import annotations

import pytest

from tests.helpers import MULTIPART_TARGETS, SMALL_LIMIT
from upbench import registry
from upbench.lifecycle.front import nginx_binary
from upbench.lifecycle.server import ServerOptions, serve


@pytest.fixture(scope="module", params=MULTIPART_TARGETS)
def target(request, tmp_path_factory):
    """Every target of the multipart contract, running with a 2 MiB upload limit."""
    spec = registry.discover()[request.param]
    if spec.front and nginx_binary() is None:  # .ci/run installs it; a dev machine may lack it
        pytest.skip(f"{spec.name} runs behind nginx, which is not installed "
                    "(apt-get install nginx-light)")
    logs = tmp_path_factory.mktemp(f"logs-{spec.name}")
    with serve(spec, ServerOptions(max_upload=SMALL_LIMIT), logs) as running:
        yield running
