"""Raw per-request samples: one CSV per load-generator process, flushed in batches.

Floats as measured (time.time() seconds), never Locust's rounded buckets. In open-loop runs
`start` is when the request was *meant* to start and `issued` when it really went out.
`connecting` and `tls_handshaking` are durations (seconds) on a new connection, blank on a
reused one. `continue_wait` (seconds) is the wait for `100 Continue`, `unsent` the body
bytes never sent because the server answered first; `ticket`, `transfer` and `complete`
(seconds) time the steps of a direct-to-storage upload, `parts` counts its S3 parts.
The `server_*` fields are what the answer said it stored (JSON sha256/bytes, an
ETag that looks like an MD5); the tus fields count a resumable upload's failures. The file name holds
host and pid, so Locust worker processes (`--processes N`, or workers on other machines writing
to a shared folder) never overwrite each other.
"""

from __future__ import annotations

import csv
import json
import os
import socket
from pathlib import Path

FIELDS = ("scenario", "target", "user", "kind", "start", "issued", "sent", "ttfb", "end",
          "done", "bytes", "status", "error", "upload_id", "expected_sha256", "server_sha256",
          "final_status", "drops", "recovery", "connecting", "tls_handshaking", "server_bytes",
          "server_md5", "expected_md5", "retries", "resumes", "resent", "continue_wait",
          "unsent", "ticket", "transfer", "complete", "parts", "polls")
FLUSH_EVERY = 256


class SampleWriter:
    def __init__(self, folder: str | os.PathLike):
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.path = Path(folder) / f"samples-{socket.gethostname()}-{os.getpid()}.csv"
        self._rows: list[tuple] = []
        with open(self.path, "w", newline="") as f:
            csv.writer(f).writerow(FIELDS)

    def add(self, sample: dict) -> None:
        self._rows.append(tuple(map(sample.get, FIELDS)))
        if len(self._rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            with open(self.path, "a", newline="") as f:
                csv.writer(f).writerows(rows)


def read_samples(folder: str | os.PathLike) -> list[dict]:
    """All samples of a folder, typed: floats for times, ints for bytes/status, None for blanks."""
    rows = []
    for path in sorted(Path(folder).glob("samples-*.csv")):
        rows += read_sample_file(path)
    return rows


def read_sample_file(path: str | os.PathLike) -> list[dict]:
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return [{k: _typed(k, v) for k, v in row.items()} for row in csv.DictReader(f)]


WORKERS_FILE = "workers.json"  # what a distributed level's master knew of its workers


def read_workers(folder: str | os.PathLike) -> list[dict]:
    """The master's record of its workers at a level's end (loadtests/relay.py); [] when the
    level ran in one process."""
    path = Path(folder) / WORKERS_FILE
    return json.loads(path.read_text()) if path.exists() else []


_FLOATS = {"start", "issued", "sent", "ttfb", "end", "done", "recovery", "connecting",
           "tls_handshaking", "continue_wait", "ticket", "transfer", "complete"}
_INTS = {"bytes", "status", "user", "drops", "server_bytes", "retries", "resumes", "resent",
         "unsent", "parts", "polls"}


def _typed(name: str, value: str):
    if value == "":
        return None
    if name in _FLOATS:
        return float(value)
    if name in _INTS:
        return int(value)
    return value
