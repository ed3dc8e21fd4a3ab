#!/usr/bin/env python3
"""How fast does each streaming target take one large upload, and at what CPU cost?

    python benchmarks/streaming.py [--targets flask-stream,fastapi-stream,s3,resumable]
                                   [--size 1GiB] [--rounds 3] [--work none] [--profile DIR]

Starts every target through upbench's own lifecycle (`serve()`: own process group, free port,
stopped on exit and Ctrl-C), writes one file of random bytes of `--size`, then, round after
round, sends it once to each target, the order reversed every other round (A B C, C B A) so
that drift of a shared machine spreads evenly. A multipart target gets `POST /upload` with the
file as field `file`; resumable gets its own protocol (tus: `POST /files/`, then the whole file
in one `PATCH`). The client is `sendfile()` on a plain socket: it costs almost no CPU, so the
figures are the server's. Printed per target: the median MB/s (MB = 10^6 bytes) over the rounds
and its range, and the server's CPU seconds per GB (user + system over its process tree: the
gunicorn/uvicorn master and its workers; s3's endpoint apart, as `services`). Each answer is
checked: the status the target promises and the byte count in its record.

`--profile DIR` runs py-spy (a dev tool: `pip install py-spy`) on each target's server tree
during its first upload and writes `DIR/<target>.svg` flame graphs (idle frames left out).
Benchmarks are run, not asserted: nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psutil

from loadtests.multipart import CONTENT_TYPE, multipart
from loadtests.payload import Body
from loadtests.units import format_size, parse_size
from upbench import registry
from upbench.lifecycle import processes
from upbench.lifecycle.server import RunningTarget, ServerOptions, serve

DEFAULT_TARGETS = "flask-stream,fastapi-stream,s3,resumable"
BLOCK = 16 << 20   # random bytes are written in blocks of this
MB = 10**6
TIMEOUT_S = 600    # one upload, however slow the machine


def random_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        for start in range(0, size, BLOCK):
            out.write(os.urandom(min(BLOCK, size - start)))


def send(port: int, head: bytes, payload: Path, tail: bytes) -> tuple[int, bytes]:
    """One request: `head` (request line + headers + any framing), the file via sendfile(),
    then `tail`. Returns (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock, \
            open(payload, "rb") as body:
        try:
            sock.sendall(head)
            sock.sendfile(body)
            sock.sendall(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # an early answer (413, 400): read it below
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def request_head(method: str, path: str, length: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def upload_multipart(port: int, payload: Path, size: int) -> tuple[int, dict]:
    parts, total = multipart(Body((b"",), size, ""), "big.bin")
    head, tail = parts[0], parts[-1]
    status, body = send(port, request_head("POST", "/upload", total, {"Content-Type": CONTENT_TYPE})
                        + head, payload, tail)
    return status, _json(body)


def upload_tus(port: int, payload: Path, size: int) -> tuple[int, dict]:
    name = base64.b64encode(b"big.bin").decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    conn.request("POST", "/files/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size),
                                             "Upload-Metadata": f"filename {name}"})
    created = conn.getresponse()
    created.read()
    conn.close()
    if created.status != 201:
        return created.status, {}
    path = "/files/" + created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    head = request_head("PATCH", path, size, {
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream"})
    status, _ = send(port, head, payload, b"")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    conn.request("GET", "/uploads/" + path.rsplit("/", 1)[-1])
    record = _json(conn.getresponse().read())
    conn.close()
    return (201 if status == 204 else status), record


def _json(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError:
        return {"error": body[:200].decode(errors="replace")}


def tree_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and all their descendants."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                try:
                    t = proc.cpu_times()
                    total += t.user + t.system
                except psutil.NoSuchProcess:
                    continue
        except psutil.NoSuchProcess:
            continue
    return total


def one_upload(running: RunningTarget, payload: Path, size: int,
               profile: Path | None = None) -> dict:
    port = int(running.url.rsplit(":", 1)[-1])
    send_upload = upload_tus if "tus" in running.target.protocols else upload_multipart
    spy = start_profiler(running, profile) if profile else None
    app0, svc0 = tree_cpu(running.app_pids), tree_cpu(running.service_pids)
    started = time.perf_counter()
    status, record = send_upload(port, payload, size)
    seconds = time.perf_counter() - started
    app_cpu = tree_cpu(running.app_pids) - app0
    svc_cpu = tree_cpu(running.service_pids) - svc0
    if spy:
        stop_profiler(spy)
    if status != running.target.answer or record.get("bytes") != size:
        raise SystemExit(f"{running.target.name}: upload answered {status} {record}")
    forget(running, record)
    return {"mbps": size / MB / seconds, "cpu_per_gb": app_cpu / (size / 1e9),
            "services_cpu_per_gb": svc_cpu / (size / 1e9), "seconds": seconds}


def forget(running: RunningTarget, record: dict) -> None:
    """Delete the stored copy, so that N rounds of 1 GiB do not pile up on disk."""
    shutil.rmtree(running.data_dir / record["id"], ignore_errors=True)
    location = record.get("location", "")
    if location.startswith("s3://"):
        bucket, key = location[5:].split("/", 1)
        running.storage._client().delete_object(Bucket=bucket, Key=key)


def start_profiler(running: RunningTarget, out_dir: Path) -> subprocess.Popen:
    out_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(["py-spy", "record", "--subprocesses", "--rate", "200", "--format",
                             "flamegraph", "-o", str(out_dir / f"{running.target.name}.svg"),
                             "--pid", str(running.server.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its flame graph on SIGINT
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()


def summary_line(name: str, runs: list[dict]) -> str:
    mbps = [r["mbps"] for r in runs]
    cpu = statistics.median(r["cpu_per_gb"] for r in runs)
    svc = statistics.median(r["services_cpu_per_gb"] for r in runs)
    extra = f"  (+ services {svc:.2f} s/GB)" if svc > 0.05 else ""
    return (f"{name:<16} {statistics.median(mbps):>8.0f} MB/s  ({min(mbps):.0f}-{max(mbps):.0f})"
            f"  server CPU {cpu:>5.2f} s/GB{extra}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default=DEFAULT_TARGETS)
    parser.add_argument("--size", default="1GiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default="none", help="the targets' --work (default none)")
    parser.add_argument("--profile", type=Path, help="write py-spy flame graphs here")
    args = parser.parse_args(argv)
    try:
        args.targets = registry.select(args.targets)
        args.size = parse_size(args.size)
    except ValueError as exc:
        parser.exit(2, f"streaming.py: {exc}\n")
    if args.rounds < 1:
        parser.exit(2, "streaming.py: --rounds must be at least 1\n")
    if args.profile and not shutil.which("py-spy"):
        parser.exit(2, "streaming.py: --profile needs py-spy (pip install py-spy)\n")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    processes.install_handlers()
    # The limit must let the multipart framing around `size` bytes through.
    options = ServerOptions(work=args.work, max_upload=args.size + (1 << 20))
    results: dict[str, list[dict]] = {t.name: [] for t in args.targets}
    with tempfile.TemporaryDirectory(prefix="upbench-streaming-") as tmp, ExitStack() as stack:
        payload = Path(tmp) / "payload.bin"
        random_file(payload, args.size)
        running = [stack.enter_context(serve(t, options, Path(tmp) / "logs")) for t in args.targets]
        print(f"{format_size(args.size)} of random bytes per upload, --work {args.work}, "
              f"{args.rounds} rounds, load average {os.getloadavg()[0]:.2f}")
        for round_no in range(args.rounds):
            order = running if round_no % 2 == 0 else running[::-1]
            for target in order:
                profile = args.profile if round_no == 0 else None
                run = one_upload(target, payload, args.size, profile)
                results[target.target.name].append(run)
                print(f"  round {round_no + 1} {target.target.name:<16} {run['mbps']:>7.0f} MB/s"
                      f"  CPU {run['cpu_per_gb']:.2f} s/GB", flush=True)
    print(f"\nmedian of {args.rounds} (MB = 10^6 bytes), load average "
          f"{os.getloadavg()[0]:.2f}")
    for name, runs in results.items():
        print(summary_line(name, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
