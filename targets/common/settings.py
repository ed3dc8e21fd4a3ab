"""What every reference server reads from its environment (set by the harness or `bench.py serve`).

Environment variables rather than flags because gunicorn, uvicorn and a Celery worker all load
the app module themselves; one mechanism reaches them all.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from targets.common.work import Work

DEFAULT_MAX_UPLOAD = 1 << 30  # 1 GiB: above every size of the default sweeps, still a limit


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    max_upload: int
    work: Work

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("UPBENCH_DATA_DIR")
                        or Path(tempfile.gettempdir()) / "upbench-uploads")
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            data_dir=data_dir.resolve(),
            max_upload=int(os.environ.get("UPBENCH_MAX_UPLOAD", DEFAULT_MAX_UPLOAD)),
            work=Work.parse(os.environ.get("UPBENCH_WORK", "sha256")),
        )
