"""Where uploads land and how their status is shared between processes.

Layout under the data dir: `<id>/<sanitised name>` holds the bytes, `<id>.json` the record
(`accepted` -> `stored` -> `processed` | `failed`). Records are written atomically (tmp +
rename), so every worker process, a thread, or a Celery worker can update a status and any
process can answer `GET /uploads/<id>`. Ids are server-made uuid4 hex: a client never chooses
a path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from werkzeug.utils import secure_filename

_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_NAME = 120


@dataclass(frozen=True)
class Upload:
    id: str
    filename: str   # sanitised
    path: Path      # inside the data dir, always


def safe_name(client_name: str) -> str:
    """`../../x` -> `x`, `..\\x` -> `x`, `/tmp/x` -> `tmp_x`; never empty, never a path."""
    name = secure_filename(client_name.replace("\\", "/"))[-MAX_NAME:]
    return name or "upload.bin"


class UploadStore:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def new(self, client_name: str) -> Upload:
        upload_id = uuid.uuid4().hex
        name = safe_name(client_name)
        folder = self.root / upload_id
        folder.mkdir()
        path = (folder / name).resolve()
        if path.parent != folder:  # belt and braces: secure_filename already ensures this
            raise ValueError("unsafe filename")
        return Upload(upload_id, name, path)

    def save(self, upload: Upload, status: str, size: int | None, sha256: str | None,
             **extra) -> dict:
        record = {"id": upload.id, "filename": upload.filename, "bytes": size,
                  "sha256": sha256, "status": status, "updated": time.time(), **extra}
        tmp = self.root / f".{upload.id}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.root / f"{upload.id}.json")
        return record

    def get(self, upload_id: str) -> dict | None:
        if not _ID.match(upload_id):
            return None
        try:
            return json.loads((self.root / f"{upload_id}.json").read_text())
        except FileNotFoundError:
            return None

    def upload(self, record: dict) -> Upload:
        return Upload(record["id"], record["filename"], self.root / record["id"] / record["filename"])

    def discard(self, upload: Upload) -> None:
        """Forget an upload that must not count as stored (client hung up, body malformed)."""
        shutil.rmtree(self.root / upload.id, ignore_errors=True)
        (self.root / f"{upload.id}.json").unlink(missing_ok=True)


def write_chunks(chunks, path: Path, hashing: bool) -> tuple[int, str | None]:
    """Write an iterable of bytes to `path`, hashing on the way when asked: (bytes, sha256|None).
    (Chunks larger than the file's buffer go straight to write(2), uncopied.)"""
    digest = hashlib.sha256() if hashing else None
    size = 0
    with open(path, "wb") as out:
        for data in chunks:
            out.write(data)
            size += len(data)
            if digest:
                digest.update(data)
    return size, digest.hexdigest() if digest else None
