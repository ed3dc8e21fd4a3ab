"""Helper services (started before a target's server) and sidecars (started after it).

Filled in by the targets that need them (queued: Redis + a Celery worker; s3: an S3 endpoint).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

SERVICES: dict = {}
SIDECARS: dict = {}


def start_service(name: str, data_dir: Path, log_dir: Path, stack: ExitStack):
    return SERVICES[name](data_dir, log_dir, stack)


def start_sidecar(name: str, env: dict, options, log: Path, stack: ExitStack):
    return SIDECARS[name](env, options, log, stack)
