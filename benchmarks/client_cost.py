#!/usr/bin/env python3
"""Where does the load generator's CPU per upload go? Its layers, one at a time, against wrk.

    python benchmarks/client_cost.py [--size 1KiB] [--threads 8] [--duration 3s] [--rounds 3]

Against the sink of benchmarks/wrk_compare.py (gunicorn, 2 sync workers), in this process,
`--threads` OS threads upload back to back (as the closed-loop users do), layer by layer:

  socket loop          connect, one sendmsg of the same request bytes, recv, close: what the
                       same system calls cost from Python threads (the floor)
  Connection.request   + upbench's HTTP client: request head, httptools parse, timestamps
  UploadRequest.send   + a unique body per upload, its multipart framing, the reply parsed

and `wrk -t1` with as many connections, alternated round by round. Printed: uploads/s and the
CPU (user and system) per upload, medians over the rounds. What `bench.py run` costs beyond
the last layer (Locust's request event and stats, the sample row, the 2 s slices) is its CPU
per upload in wrk_compare.py minus the last layer here.
"""

from __future__ import annotations

import _socket
import argparse
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.wrk_compare import run_wrk, running_sink
from loadtests.http import Connection
from loadtests.multipart import CONTENT_TYPE, multipart
from loadtests.payload import Payload
from loadtests.units import format_size, parse_duration, parse_size
from loadtests.upload import UploadRequest
from upbench.lifecycle import processes


def socket_loop(port: int, payload: Payload):
    parts, length = multipart(payload.unique(), "u1-1.bin")
    request = [f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {CONTENT_TYPE}"
               f"\r\nContent-Length: {length}\r\n\r\n".encode(), *parts]

    def one() -> None:
        sock = _socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect(("127.0.0.1", port))
        sock.sendmsg(request)
        while (data := sock.recv(65536)) and not data.endswith(b"ok"):  # the sink's answer
            pass
        sock.close()
    return one


def client_request(port: int, payload: Payload):
    conn = Connection(f"http://127.0.0.1:{port}", os_thread=True)
    parts, length = multipart(payload.unique(), "u1-1.bin")
    headers = {"Content-Type": CONTENT_TYPE}
    return lambda: conn.request("POST", "/upload", headers, parts, length)


def upload_send(port: int, payload: Payload):
    conn = Connection(f"http://127.0.0.1:{port}", os_thread=True)
    request = UploadRequest("/upload")
    names = (f"u1-{n}.bin" for n in range(1, 1 << 62))
    return lambda: request.send(conn, payload.unique(), next(names))


LAYERS = {"socket loop": socket_loop, "Connection.request": client_request,
          "UploadRequest.send": upload_send}


def run_layer(make, port: int, payload: Payload, threads: int, seconds: float):
    """(uploads/s, user µs and system µs of this process per upload)."""
    counts = [0] * threads
    until = time.monotonic() + seconds

    def worker(i: int) -> None:
        upload = make(port, payload)
        while time.monotonic() < until:
            upload()
            counts[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    before = resource.getrusage(resource.RUSAGE_SELF)
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    done = max(sum(counts), 1)
    return (done / seconds, (after.ru_utime - before.ru_utime) / done * 1e6,
            (after.ru_stime - before.ru_stime) / done * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1KiB")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", default="3s")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        size, seconds = parse_size(args.size), parse_duration(args.duration)
    except ValueError as exc:
        parser.exit(2, f"client_cost.py: {exc}\n")
    if min(args.threads, args.rounds) < 1:
        parser.exit(2, "client_cost.py: --threads and --rounds must be at least 1\n")
    processes.install_handlers()
    payload = Payload.shared(size)
    rows: dict[str, list[tuple]] = {}
    with tempfile.TemporaryDirectory() as tmp_name, running_sink(Path(tmp_name)) as base:
        tmp, url = Path(tmp_name), f"{base}/upload"
        port = int(base.rpartition(":")[2])
        for _ in range(args.rounds):
            if shutil.which("wrk"):
                rps, cpu = run_wrk(url, size, args.threads, seconds, tmp)
                rows.setdefault("wrk -t1", []).append((rps, cpu * 1e6, None))
            for name, make in LAYERS.items():
                rows.setdefault(name, []).append(
                    run_layer(make, port, payload, args.threads, seconds))
    print(f"{format_size(size)} uploads, {args.threads} threads/connections, {args.rounds} "
          f"rounds of {seconds:g}s; CPU per upload, medians")
    for name, runs in rows.items():
        rps = statistics.median(r[0] for r in runs)
        user = statistics.median(r[1] for r in runs)
        if runs[0][2] is None:
            print(f"{name:>20} {rps:>8.0f} uploads/s   {user:>5.0f} us (user + system)")
        else:
            system = statistics.median(r[2] for r in runs)
            print(f"{name:>20} {rps:>8.0f} uploads/s   {user + system:>5.0f} us "
                  f"(user {user:.0f} + system {system:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
