"""When did a 202 upload finish? Learned without disturbing the server being measured.

Our targets write a record per upload (`<data>/<id>.json`: status, and `updated`, the server's
`time.time()` at the last change) — the same store `GET /uploads/<id>` answers from. A target
whose spec says `completion="records"` is not polled during the level: after Locust has
stopped, the harness reads those records from disk (same host, same wall clock), waiting for
uploads still at work up to the scenario's poll timeout. Polling the status endpoint during the
level (anyone's endpoint, `--status-url`) puts requests on the very workers being measured —
and only on the 202 arm of a comparison; there it stays, bounded, and is reported as the
observer's load (`observer` in each result).
"""

from __future__ import annotations

import re
import time

from loadtests.upload import FAILED, PENDING
from upbench.measure.storage import Storage

SWEEP_S = 0.05  # between two reads of the records still pending (a file check, no request)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def awaiting(samples: list[dict]) -> list[dict]:
    """The answered uploads whose completion no poll recorded: 202s, and tus uploads (whose
    last PATCH answers 204 without a record)."""
    return [s for s in samples if s["kind"] == "upload" and s["status"]
            and 200 <= s["status"] < 300 and s["upload_id"] and s["done"] is None
            and not s["error"]]


def from_records(samples: list[dict], storage: Storage, timeout: float) -> int:
    """Fill `done`, `final_status` and the server's sha256 of every awaiting upload from its
    record; an upload still pending after `timeout` s gets the poll's error ("completion
    timeout"). Returns the number of uploads completed."""
    waiting = {s["upload_id"]: s for s in awaiting(samples)}
    deadline = time.monotonic() + timeout
    done = 0
    while waiting:
        for upload_id, sample in list(waiting.items()):
            record = storage.record(upload_id) or {}
            status = str(record.get("status", "")).lower()
            if not status or status in PENDING:
                continue
            _finish(sample, record, status)
            done += 1
            del waiting[upload_id]
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(SWEEP_S)
    for sample in waiting.values():
        sample["error"] = "completion timeout"
    return done


def _finish(sample: dict, record: dict, status: str) -> None:
    updated = record.get("updated")
    # the record's time, on the same clock; never before the answer it follows
    sample["done"] = max(float(updated), sample["end"]) if isinstance(updated, (int, float)) \
        else time.time()
    sample["final_status"] = status
    sha256 = record.get("sha256")
    if isinstance(sha256, str) and _SHA256.match(sha256):
        sample["server_sha256"] = sha256
    if status in FAILED:
        sample["error"] = "processing failed"


def observer(samples: list[dict], completion: str, from_records: int = 0) -> dict:
    """What learning completion cost the server: the status requests sent during the level,
    and how many uploads were followed (by polls, or `from_records` read from disk)."""
    polled = [s for s in samples if s.get("polls") is not None]
    return {"completion": completion, "status_requests": sum(s["polls"] for s in polled),
            "uploads_awaited": len(polled) + from_records}
