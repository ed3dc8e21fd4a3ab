"""Upload endpoints shaped unlike our contract, the way real ones are (served by gunicorn via
`upbench.lifecycle.server.serve`, like the targets):

- `PUT /raw/<name>` stores the body as it came and answers 201 with the body's MD5 as ETag
  (S3's way); `PUT /raw-etag/<name>` answers an ETag that looks like an MD5 but is not one;
- `POST /media`: the file in field `media`, answered `204 No Content`;
- `POST /bearer` needs `Authorization: Bearer t0ken`, `POST /basic` basic auth `ann:pa:ss w`;
  both answer 201 with JSON sha256 and bytes;
- `POST /album` needs the form fields `album` and `csrf` (400 otherwise), answers JSON bytes;
- `POST /later` answers 202 {"id"}; `GET /jobs/<id>` says 202 "processing" twice, then 200
  {"status": "done", "sha256"};
- bodies over 8 MB: 413 (Flask's MAX_CONTENT_LENGTH; the raw routes check it themselves).
Everything is written under UPBENCH_DATA_DIR, one file per upload.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from pathlib import Path

from flask import Flask, abort, request

LIMIT = 8_000_000
TOKEN = "t0ken"
USER, PASSWORD = "ann", "pa:ss w"
DATA = Path(os.environ.get("UPBENCH_DATA_DIR", "/tmp/upbench-shapes"))
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = LIMIT


@app.get("/health")
def health():
    return {"ok": True}


def _store_raw(name: str) -> tuple[str, int]:
    if (request.content_length or 0) > LIMIT:
        abort(413)
    md5, size = hashlib.md5(usedforsecurity=False), 0
    with open(DATA / Path(name).name, "wb") as out:
        while chunk := request.stream.read(1 << 20):
            md5.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return md5.hexdigest(), size


@app.put("/raw/<name>")
def raw(name):
    md5, _ = _store_raw(name)
    return "", 201, {"ETag": f'"{md5}"'}


@app.put("/raw-etag/<name>")
def raw_other_etag(name):
    _store_raw(name)
    return "", 201, {"ETag": f'"{hashlib.md5(name.encode()).hexdigest()}"'}


def _save(field: str = "file") -> dict:
    if field not in request.files:
        abort(400)
    file = request.files[field]
    data = file.read()
    (DATA / f"{uuid.uuid4().hex}-{Path(file.filename or 'x').name}").write_bytes(data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


@app.post("/media")
def media():
    _save("media")
    return "", 204


@app.post("/bearer")
def bearer():
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return {"error": "token"}, 401
    return _save(), 201


@app.post("/basic")
def basic():
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    if request.headers.get("Authorization") != expected:
        return {"error": "credentials"}, 401, {"WWW-Authenticate": 'Basic realm="x"'}
    return _save(), 201


@app.post("/album")
def album():
    if request.form.get("album") != "7" or request.form.get("csrf") != "c5rf":
        return {"error": "album and csrf are required"}, 400
    return {"bytes": _save()["bytes"]}


@app.post("/later")
def later():
    saved = _save()
    job = uuid.uuid4().hex
    (DATA / f"{job}.job").write_text(json.dumps({**saved, "polls": 0}))
    return {"id": job}, 202


@app.get("/jobs/<job>")
def job_status(job):
    path = DATA / f"{Path(job).name}.job"
    if not path.exists():
        return {"error": "unknown"}, 404
    record = json.loads(path.read_text())
    record["polls"] += 1
    path.write_text(json.dumps(record))
    if record["polls"] <= 2:
        return {"status": "processing"}, 202
    return {"status": "done", "sha256": record["sha256"]}
