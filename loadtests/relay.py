"""Raw samples from Locust workers to their master, over Locust's own messages.

Whenever Locust runs distributed — `--processes N` on one machine, or `bench.py worker`s on
others — each worker sends its raw samples to the master in batches (`runner.send_message`,
at most BATCH rows or BATCH_S seconds held), and the master writes one samples file per worker
into the level's folder (`samples-<worker id>.csv`): the orchestrator reads that folder as it
reads a single process's. No shared disk, no copying files by hand.

Beside the samples, over the same channel:
- `hello` (host, the address it reaches the master from, pid, parent pid) and `done` (its CPU
  over the level, samples sent): a worker without `done` at the end dropped out mid-level;
  what it sent before is kept, and `workers.json` says so.
- clock offset: the master pings each worker a few times at the start (NTP's estimate: offset
  = worker clock − midpoint of send and receive, from the ping with the shortest round trip).
  Durations are measured on one host each and need no common clock; the offset puts a remote
  worker's samples on the master's clock for time series, and is applied only where it exceeds
  its own uncertainty (half the round trip) — on one machine it is noise.
- `farewell`: the orchestrator's last master, an empty level with `--farewell`, tells each
  `bench.py worker` that the plan is over (the option reaches the workers with the spawn, as
  Locust sends every custom option); their Locust worker then exits with FAREWELL_EXIT.
Importing this module imports no Locust (bench.py worker reads its exit codes).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import time
from pathlib import Path

import gevent
import psutil

from loadtests.samples import FIELDS, WORKERS_FILE

BATCH = 256          # rows a worker holds before sending them
BATCH_S = 1.0        # ... or seconds
PINGS = 5            # clock-offset pings per worker at the start of a level
FAREWELL_EXIT = 3    # a Locust worker's exit code once the plan is over
LEVEL_EXIT = 0       # ... after a level, with more to come
_TIME_FIELDS = [FIELDS.index(f) for f in ("start", "issued", "sent", "ttfb", "end", "done")]


class SampleSender:
    """A worker's side: batches rows and sends them to the master.

    Takes the environment, not the runner: a worker that joins a level already running gets
    its spawn (and test_start) while Locust is still constructing its runner, before
    `environment.runner` is set; rows wait for it (a second at most)."""

    def __init__(self, environment):
        self.environment = environment
        self._rows: list[tuple] = []
        self._since = time.monotonic()
        self.sent = 0
        self.greeted = False
        self.finished = False
        self._cpu = _cpu_seconds()
        self._wall = time.monotonic()

    def add(self, sample: dict) -> None:
        self._rows.append(tuple(map(sample.get, FIELDS)))
        if len(self._rows) >= BATCH or time.monotonic() - self._since >= BATCH_S:
            self.flush()

    def _send(self, kind: str, data) -> bool:
        runner = self.environment.runner
        if runner is None:
            return False
        if not self.greeted:
            self.greeted = True
            runner.send_message("upbench_hello", {
                "host": socket.gethostname(), "address": _address_towards(runner),
                "pid": os.getpid(), "parent": os.getppid()})
        runner.send_message(kind, data)
        return True

    def flush(self) -> None:
        self._since = time.monotonic()
        if self._rows and self._send("upbench_samples", {"rows": self._rows}):
            self.sent += len(self._rows)
            self._rows = []

    def done(self) -> None:
        """The level is over here: the last rows, then what this worker cost (once)."""
        if self.finished:
            return
        self.finished = True
        self.flush()
        wall = max(time.monotonic() - self._wall, 1e-6)
        cpu = (_cpu_seconds() - self._cpu) / wall * 100
        self._send("upbench_done", {"samples": self.sent, "cpu_mean_pct": round(cpu, 1)})


class SampleCollector:
    """The master's side: one samples file per worker, and what is known of each worker."""

    def __init__(self, runner):
        self.runner = runner
        self.folder: Path | None = None
        self.workers: dict[str, dict] = {}
        for name, handler in (("upbench_hello", self._hello), ("upbench_samples", self._samples),
                              ("upbench_done", self._done), ("upbench_pong", self._pong)):
            runner.register_message(name, handler)

    def start(self, folder: str) -> None:
        """A new level (a swarm): its folder, its workers; clock pings in the background."""
        self.folder = Path(folder) if folder else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = {}
        gevent.spawn(self.ping_all)

    def _worker(self, node: str) -> dict:
        return self.workers.setdefault(node, {"id": node, "samples": 0, "done": False,
                                              "offset_s": None, "rtt_s": None})

    def _hello(self, environment, msg) -> None:
        self._worker(msg.node_id).update(msg.data)

    def _samples(self, environment, msg) -> None:
        worker = self._worker(msg.node_id)
        rows = msg.data["rows"]
        if self.folder is None:
            return
        offset = worker["offset_s"]
        if offset is not None and abs(offset) > worker["rtt_s"] / 2:
            rows = [_shifted(row, -offset) for row in rows]
        path = self.folder / worker.setdefault("file", f"samples-{_safe(msg.node_id)}.csv")
        new = not path.exists()
        with open(path, "a", newline="") as f:
            out = csv.writer(f)
            if new:
                out.writerow(FIELDS)
            out.writerows(rows)
        worker["samples"] += len(rows)

    def _done(self, environment, msg) -> None:
        self._worker(msg.node_id).update(msg.data, done=True)

    def wait_for_workers(self, timeout: float) -> None:
        """At the level's end, before Locust's master quits (it waits only 0.5 s for its
        workers): ask every worker to stop and send its last rows, and wait — bounded — for
        each one's `done`; a worker gone missing is not waited for (it dropped out)."""
        for node in list(self.workers):
            self.runner.send_message("upbench_stop", None, client_id=node)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                w.get("pid") and not w["done"] and self._connected(node)  # pid: it said hello
                for node, w in self.workers.items()):
            gevent.sleep(0.05)

    def _connected(self, node: str) -> bool:
        from locust.runners import STATE_MISSING  # imported by Locust only: never on import

        client = self.runner.clients.get(node)
        return client is not None and client.state != STATE_MISSING

    def ping_all(self) -> None:
        """Clock-offset pings to every connected worker (run in a greenlet at the start)."""
        for _ in range(PINGS):
            for node in list(self.runner.clients.keys()):
                self._worker(node)
                self.runner.send_message("upbench_ping", {"t0": time.time()}, client_id=node)
            gevent.sleep(0.05)

    def _pong(self, environment, msg) -> None:
        t1 = time.time()
        t0, theirs = msg.data["t0"], msg.data["t"]
        worker = self._worker(msg.node_id)
        rtt = t1 - t0
        if worker["rtt_s"] is None or rtt < worker["rtt_s"]:
            worker["rtt_s"], worker["offset_s"] = rtt, theirs - (t0 + t1) / 2

    def save(self) -> None:
        if self.folder is None:
            return
        tmp = self.folder / (WORKERS_FILE + ".tmp")
        tmp.write_text(json.dumps(list(self.workers.values()), indent=1))
        os.replace(tmp, self.folder / WORKERS_FILE)


def answer_pings(runner) -> None:
    """A worker's side of the clock: answer each ping with its own time."""
    def pong(environment, msg) -> None:
        runner.send_message("upbench_pong", {"t0": msg.data["t0"], "t": time.time()})
    runner.register_message("upbench_ping", pong)


def hear_master(environment) -> None:
    """A worker's side: stop when the master asks (then `done` follows from test_stop)."""
    def stop(environment, msg) -> None:
        environment.runner.stop()
    environment.runner.register_message("upbench_stop", stop)


def exit_code_after(options) -> int:
    """How a worker's Locust process exits after this level: FAREWELL_EXIT when the master
    was the plan's last (its `--farewell` option reaches the worker with the spawn, as every
    custom option does), else LEVEL_EXIT."""
    return FAREWELL_EXIT if getattr(options, "farewell", False) else LEVEL_EXIT


def _cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _address_towards(runner) -> str | None:
    """This worker's own address on the route to its master (no packet is sent)."""
    host = getattr(runner, "master_host", None)
    if not host:
        return None
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, getattr(runner, "master_port", 5557) or 5557))
            return s.getsockname()[0]
    except OSError:
        return None


def _shifted(row, delta: float) -> tuple:
    row = list(row)
    for i in _TIME_FIELDS:
        if isinstance(row[i], (int, float)):
            row[i] += delta
    return tuple(row)


def _safe(node: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in node)
