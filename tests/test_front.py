"""The buffering proxy in front of a target (upbench/lifecycle/front.py)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from upbench import registry
from upbench.lifecycle import front
from upbench.lifecycle.processes import StartError
from upbench.lifecycle.server import ServerOptions, serve


def test_without_nginx_the_proxied_arm_does_not_start_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(front, "nginx_binary", lambda: None)
    spec = registry.discover()["flask-sync-nginx"]
    with pytest.raises(StartError, match="nginx is not installed"):
        with serve(spec, ServerOptions(), tmp_path):
            pass


@pytest.mark.skipif(front.nginx_binary() is None, reason="nginx is not installed")
def test_nginx_runs_in_its_own_group_and_stops_with_the_target(tmp_path):
    import psutil

    spec = registry.discover()["flask-sync-nginx"]
    with ExitStack() as stack:
        running = stack.enter_context(serve(spec, ServerOptions(), tmp_path))
        proxy = running.services[0]
        assert running.url.endswith(f":{proxy_port(proxy.pid)}")
        assert psutil.Process(proxy.pid).name().startswith("nginx")
    assert not psutil.pid_exists(proxy.pid) or \
        psutil.Process(proxy.pid).status() == psutil.STATUS_ZOMBIE


def proxy_port(pid: int) -> int:
    import psutil

    ports = {c.laddr.port for p in [psutil.Process(pid), *psutil.Process(pid).children()]
             for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
    assert len(ports) == 1, ports
    return ports.pop()
