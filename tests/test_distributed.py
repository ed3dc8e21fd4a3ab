"""`run --master` with `bench.py worker`s: the workers generate the load and stream their raw
samples to the master, which writes the one results.json. Real processes: the master and two
workers on this machine (one of them killed mid-level), and — as root — each worker in a
network namespace of its own (its own address on a veth pair), the target reachable only
through that test network."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psutil
import pytest

from tests.helpers import stored_ids, wait_until
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port

REPO = Path(__file__).resolve().parent.parent


def worker(stack: ExitStack, log: Path, master: str, port: int, netns: str | None = None,
           *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "bench.py", "worker", "--master-host", master, "--master-port",
           str(port), *extra]
    proc = processes.start(["ip", "netns", "exec", netns, *cmd] if netns else cmd, cwd=REPO,
                           log=log, env=os.environ.copy())
    stack.callback(processes.stop, proc)
    return proc


def master_run(tmp_path: Path, port: int, *args: str, timeout: float = 240) -> dict:
    out = tmp_path / "run"
    run = subprocess.run([sys.executable, "bench.py", "run", *args, "--scenarios", "upload",
                          "--master", "--expect-workers", "2", "--master-bind-port", str(port),
                          "--out", str(out), "--junit", str(tmp_path / "junit.xml")],
                         cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow  # a distributed run, ~20 s
def test_a_worker_killed_mid_level_is_reported_and_its_samples_kept(tmp_path):
    port = free_port()
    with ExitStack() as stack:
        steady = worker(stack, tmp_path / "steady.log", "127.0.0.1", port)
        doomed = worker(stack, tmp_path / "doomed.log", "127.0.0.1", port)
        level = tmp_path / "run" / "samples" / "flask-sync" / "upload-16KB-4u"

        def kill_doomed_once_it_streamed():
            wait_until(lambda: len(list(level.glob("samples-*.csv"))) == 2, timeout=120,
                       what="both workers' first samples")
            for child in psutil.Process(doomed.pid).children(recursive=True):
                child.send_signal(signal.SIGKILL)  # the Locust worker dies without a word

        killer = threading.Thread(target=kill_doomed_once_it_streamed, daemon=True)
        killer.start()
        doc = master_run(tmp_path, port, "--targets", "flask-sync", "--sizes", "16KB",
                         "--users", "4", "--duration", "6s", "--warmup", "0")
        killer.join(timeout=5)
        assert steady.wait(timeout=60) == 0  # the farewell ended it
    [r] = doc["results"]
    machines = sorted(r["workers"], key=lambda w: w["dropped"])
    assert [w["dropped"] for w in machines] == [0, 1]
    kept = machines[1]["uploads"]
    assert kept > 0  # what it streamed before it died is in the result
    assert "dropped out mid-level" in r["level_error"]
    assert r["integrity"]["acknowledged"] == sum(w["acknowledged"] for w in machines)
    assert r["integrity"]["lost"] == 0
    junit = (tmp_path / "junit.xml").read_text()
    assert 'failures="1"' in junit and "dropped out mid-level" in junit
    report = (tmp_path / "run" / "index.html").read_text()
    assert 'id="workers-table"' in report and "level flagged" in report


@contextmanager
def namespaced_network(count: int):
    """A bridge with an address of the host's, and `count` namespaces on veth pairs, each with
    its own address: ([namespace], host address, [their addresses]). Removed on exit."""
    tag = uuid.uuid4().hex[:6]
    subnet = f"10.{200 + int(tag, 16) % 50}.{int(tag, 16) % 250}"
    bridge, spaces = f"ubr{tag}", [f"upb{tag}{i}" for i in range(count)]

    def ip(*args: str, netns: str | None = None) -> None:
        cmd = ["ip", *(("netns", "exec", netns, "ip") if netns else ()), *args]
        subprocess.run(cmd, check=True, capture_output=True, timeout=10)

    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for i, ns in enumerate(spaces):
            ip("netns", "add", ns)
            outside, inside = f"ua{tag}{i}", f"ub{tag}{i}"
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            ip("link", "set", inside, "netns", ns)
            ip("link", "set", outside, "master", bridge)
            ip("link", "set", outside, "up")
            ip("addr", "add", f"{subnet}.{i + 2}/24", "dev", inside, netns=ns)
            ip("link", "set", inside, "up", netns=ns)
            ip("link", "set", "lo", "up", netns=ns)
        yield spaces, f"{subnet}.1", [f"{subnet}.{i + 2}" for i in range(count)]
    finally:
        for ns in spaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=10)


def _can_make_namespaces() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"upbprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@pytest.mark.slow  # a distributed run, ~20 s
@pytest.mark.skipif(bool(_can_make_namespaces()), reason=_can_make_namespaces() or "")
def test_two_workers_in_their_own_namespaces_measure_one_target_together(tmp_path):
    port = free_port()
    with ExitStack() as stack:
        spaces, host, addresses = stack.enter_context(namespaced_network(2))
        data = tmp_path / "stored"
        target_port = free_port()
        target = processes.start([sys.executable, "bench.py", "serve", "flask-sync", "--host",
                                  host, "--port", str(target_port), "--data-dir", str(data)],
                                 cwd=REPO, log=tmp_path / "target.log", env=os.environ.copy())
        stack.callback(processes.stop, target)
        wait_until(lambda: "flask-sync on" in (tmp_path / "target.log").read_text(),
                   timeout=60, what="the target on the test network")
        workers = [worker(stack, tmp_path / f"worker-{i}.log", host, port, ns)
                   for i, ns in enumerate(spaces)]
        doc = master_run(tmp_path, port, "--url", f"http://{host}:{target_port}/upload",
                         "--no-verify", "--master-bind-host", host, "--sizes", "16KB",
                         "--users", "4", "--duration", "4s", "--warmup", "0")
        for w in workers:
            assert w.wait(timeout=60) == 0
        stored = stored_ids(data)
    [r] = doc["results"]
    machines = r["workers"]
    assert sorted(w["address"] for w in machines) == sorted(addresses)  # two "hosts"
    assert all(w["uploads"] > 0 and w["dropped"] == 0 for w in machines)
    assert abs(sum(w["share"] for w in machines) - 1) < 1e-3
    # every upload both workers made is counted, and is what the target stored
    assert sum(w["acknowledged"] for w in machines) == r["integrity"]["acknowledged"] \
        == len(stored) > 0
    assert r["failures"] == 0


@pytest.mark.parametrize("argv", [
    ["run", "--master"],
    ["run", "--expect-workers", "2"],
    ["run", "--master", "--expect-workers", "1", "--processes", "2"],
    ["run", "--master", "--expect-workers", "1", "--master-bind-host", "0.0.0.0"],
    ["run", "--master", "--expect-workers", "1", "--master-bind-port", "70000"],
    ["worker", "--master-host", "127.0.0.1", "--master-port", "0"],
    ["worker"],
])
def test_distributed_usage_errors_are_one_line(argv, capsys, monkeypatch):
    from upbench.cli import EXIT_USAGE, main

    monkeypatch.setattr(processes, "install_handlers", lambda: None)  # pytest keeps its own

    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bench.py: error:"), err
