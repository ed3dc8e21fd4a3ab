"""Did every acknowledged upload arrive whole? Checked after each load level, then cleaned up.

- the digest the server reported (201 reply, or the final status of a 202) against the one the
  client expected — for every acknowledged upload;
- on disk, for our own targets: every acknowledged upload's record and file must exist (else
  *lost*); a random spot-check of them is hashed again (mismatch: *corrupt*).
Stored files are deleted afterwards so long sweeps don't fill the disk.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from targets.common.work import file_sha256
from upbench.aggregate import ok

SPOT_CHECKS = 16


def check(samples: list[dict], data_dir: Path | None, spot_checks: int = SPOT_CHECKS) -> dict:
    acked = [s for s in samples if s["kind"] == "upload" and ok(s)]
    corrupt = {id(s) for s in acked
               if s["server_sha256"] and s["server_sha256"] != s["expected_sha256"]}
    verified = {id(s) for s in acked
                if s["server_sha256"] and s["server_sha256"] == s["expected_sha256"]}
    lost: set[int] = set()
    disk_checked = 0
    if data_dir is not None:
        with_id = [s for s in acked if s["upload_id"]]
        present = {}
        for s in with_id:
            path = _stored_path(data_dir, s["upload_id"])
            if path is None:
                lost.add(id(s))
            else:
                present[id(s)] = (s, path)
        for key in random.sample(sorted(present), min(spot_checks, len(present))):
            s, path = present[key]
            disk_checked += 1
            if file_sha256(path) == s["expected_sha256"]:
                verified.add(key)
            else:
                corrupt.add(key)
                verified.discard(key)
    verified -= lost
    return {"acknowledged": len(acked), "verified": len(verified), "lost": len(lost),
            "corrupt": len(corrupt - lost), "disk_checked": disk_checked}


def clean(data_dir: Path) -> None:
    """Empty a target's data dir between load levels (the folder itself stays)."""
    for entry in data_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _stored_path(data_dir: Path, upload_id: str) -> Path | None:
    try:
        record = json.loads((data_dir / f"{upload_id}.json").read_text())
    except (OSError, ValueError):
        return None
    if record.get("status") not in ("stored", "processed"):
        return None
    path = data_dir / upload_id / record.get("filename", "")
    return path if path.is_file() else None

