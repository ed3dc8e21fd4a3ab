"""resumable — seed 001's "chunked uploads", as the standard they became: tus 1.0 core +
creation (https://tus.io/protocols/resumable-upload).

The seed saves numbered part files and merges them at the end (every byte written twice, and
no way for a client to ask what arrived). Here the client creates an upload (`POST /files/`
with `Upload-Length`), asks how much arrived (`HEAD` -> `Upload-Offset`) and sends the rest
(`PATCH` at that offset). Each PATCH is written at its offset into the one destination file,
so there is no merge pass; the offset is the file's size on disk — what really arrived, even
from a PATCH cut mid-way. An exclusive lock per upload refuses a concurrent PATCH (423).
When the last byte lands the work runs and the upload is `stored`.
`POST /upload` (the plain multipart contract) is served too, streamed like flask-stream.
"""

import base64
import fcntl
import os

from flask import request
from werkzeug.exceptions import ClientDisconnected

from targets.common.flask_app import create_app, error, streamed_upload

TUS_VERSION = "1.0.0"
CHUNK = 1024 * 1024  # gunicorn's largest recv(): a smaller read makes it keep and re-copy the rest

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    return streamed_upload(settings, store)


@app.after_request
def tus_headers(response):
    if request.path.startswith("/files"):
        response.headers["Tus-Resumable"] = TUS_VERSION
        response.headers["Cache-Control"] = "no-store"
    return response


@app.before_request
def tus_version():
    if (request.path.startswith("/files") and request.method != "OPTIONS"
            and request.headers.get("Tus-Resumable") != TUS_VERSION):
        response = error(412, f"Tus-Resumable: {TUS_VERSION} required")
        response[0].headers["Tus-Version"] = TUS_VERSION
        return response


@app.route("/files/", methods=["OPTIONS"])
@app.route("/files/<upload_id>", methods=["OPTIONS"])
def options(upload_id=None):
    return "", 204, {"Tus-Version": TUS_VERSION, "Tus-Extension": "creation",
                     "Tus-Max-Size": str(settings.max_upload)}


@app.post("/files/")
def create():
    length = request.headers.get("Upload-Length", "")
    if not length.isdigit():
        return error(400, "Upload-Length (a non-negative integer) required; deferred length "
                          "is not supported")
    if int(length) > settings.max_upload:
        return error(413, f"upload larger than the limit of {settings.max_upload} bytes")
    created = store.new(_metadata().get("filename") or "upload.bin")
    created.path.touch()
    store.save(created, "accepted", int(length), None, protocol="tus")
    if int(length) == 0:
        _complete(created, 0)
    return "", 201, {"Location": f"{request.host_url.rstrip('/')}/files/{created.id}"}


@app.route("/files/<upload_id>", methods=["HEAD"])
def head(upload_id):
    record = store.get(upload_id)
    if record is None:
        return "", 404
    offset = store.upload(record).path.stat().st_size
    return "", 200, {"Upload-Offset": str(offset), "Upload-Length": str(record["bytes"])}


@app.patch("/files/<upload_id>")
def patch(upload_id):
    record = store.get(upload_id)
    if record is None:
        return error(404, "unknown upload id")
    if request.mimetype != "application/offset+octet-stream":
        return error(415, "Content-Type: application/offset+octet-stream required")
    claimed = request.headers.get("Upload-Offset", "")
    if not claimed.isdigit():
        return error(400, "Upload-Offset required")
    target = store.upload(record)
    length = record["bytes"]
    with open(target.path, "r+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return error(423, "another PATCH to this upload is in progress")
        offset = os.fstat(f.fileno()).st_size
        if int(claimed) != offset:
            return error(409, f"Upload-Offset {claimed} does not match the current offset {offset}")
        if request.content_length is not None and offset + request.content_length > length:
            return error(413, "chunk goes past Upload-Length")
        f.seek(offset)
        buffer = bytearray(CHUNK)  # read into, not a fresh 1 MiB buffer per read
        try:
            while n := request.stream.readinto(buffer):
                if offset + n > length:
                    return error(413, "chunk goes past Upload-Length")
                f.write(memoryview(buffer)[:n])
                offset += n
        except ClientDisconnected:
            pass  # keep what arrived: the client resumes from HEAD's offset
        finally:
            f.flush()
    if offset == length and record["status"] == "accepted":
        _complete(target, length)
    return "", 204, {"Upload-Offset": str(offset)}


def _complete(upload, length: int) -> None:
    sha256 = settings.work.run(upload.path)
    store.save(upload, "stored", length, sha256, protocol="tus")


def _metadata() -> dict[str, str]:
    """`Upload-Metadata: filename d29ybGQ=,filetype dGV4dA==` -> {"filename": "world", ...}."""
    out = {}
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key:
            try:
                out[key] = base64.b64decode(value).decode("utf-8") if value else ""
            except ValueError:
                continue
    return out


