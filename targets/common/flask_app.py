"""What every Flask target shares: settings, the store, `/health`, `/uploads/<id>`, `/page`
(targets/common/page.py), JSON errors.

Each Flask target adds only its own `POST /upload` — the pattern under test.

An error answer (a 413 over the limit, a 400 on a malformed body) is usually sent before the
body was read. Closing a socket with unread bytes makes the kernel send a reset, and a client
still sending then gets a broken pipe instead of the answer (a browser says "connection
reset"). So, as nginx's lingering close does, the rest of the body is read and discarded after
the answer went out (WSGI's `close()`, which gunicorn calls after writing the response), up to
DISCARD_BOUND bytes and LINGER_S seconds.
"""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from targets.common import page
from targets.common.multipart_reader import BadUpload, FilePart, boundary_of
from targets.common.settings import Settings
from targets.common.store import UploadStore, write_chunks

DISCARD_BOUND = 32 << 20  # bytes of an unread body read and dropped after an error answer
LINGER_S = 30.0           # nginx's lingering_time
_DISCARD_CHUNK = 256 * 1024


def create_app(name: str) -> tuple[Flask, Settings, UploadStore]:
    settings = Settings.from_env()
    store = UploadStore(settings.data_dir)
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload

    @app.get("/health")
    def health():
        return {"ok": True}

    @app.get("/uploads/<upload_id>")
    def status(upload_id: str):
        record = store.get(upload_id)
        if record is None:
            return error(404, "unknown upload id")
        return jsonify(record)

    @app.after_request
    def linger(response):
        if response.status_code >= 400 and request.environ.get("wsgi.input") is not None:
            response.call_on_close(lambda stream=request.environ["wsgi.input"]:
                                   discard_rest(stream))
        return response

    @app.get("/page")
    def upload_page():
        return Response(page.UPLOAD_PAGE, mimetype="text/html")

    @app.after_request
    def html_answer(response: Response):
        """The form on /page posts to `/upload?answer=html`: its answer is a page (the same
        response object, so what other hooks attached to it, such as linger, still runs)."""
        if request.path == "/upload" and page.wants_html(request.query_string.decode()):
            response.set_data(page.answer(response.status_code, response.get_data()))
            response.content_type = page.HTML
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        reason = exc.description if exc.code != 413 else (
            f"upload larger than the limit of {settings.max_upload} bytes")
        return error(exc.code or 500, reason)

    return app, settings, store


def discard_rest(stream, bound: int = DISCARD_BOUND, seconds: float = LINGER_S) -> int:
    """Read and drop what is left of a request body (the server's own reader knows where it
    ends: Content-Length or the last chunk); the bytes dropped."""
    deadline = time.monotonic() + seconds
    dropped = 0
    try:
        while dropped < bound and time.monotonic() < deadline:
            data = stream.read(min(_DISCARD_CHUNK, bound - dropped))
            if not data:
                break
            dropped += len(data)
    except (OSError, ValueError):  # the client went away, or a malformed chunked body
        pass
    return dropped


def error(status: int, reason: str):
    return jsonify({"error": reason}), status


def file_field_problem(file) -> str | None:
    """The 400 reasons of the contract for a `request.files` field."""
    if file is None:
        return "missing multipart field 'file'"
    if not file.filename:
        return "empty filename in field 'file'"
    return None


def streamed_upload(settings: Settings, store: UploadStore):
    """`POST /upload` read from `request.stream` through the incremental multipart parser,
    straight to the destination file (flask-stream's pattern; resumable serves it too)."""
    stored = None
    try:
        # request.stream raises 413 up front when Content-Length is over the limit, and while
        # reading when a chunked body grows over it.
        part = FilePart(request.stream, boundary_of(request.content_type))
        stored = store.new(part.filename)
        size, digest = write_chunks(part, stored.path, hashing=settings.work.kind == "sha256")
        part.finish()
        sha256 = settings.work.run(stored.path, digest)
        record = store.save(stored, "stored", size, sha256)
        stored = None  # committed
        return record, 201
    except BadUpload as exc:
        return error(400, str(exc))
    except ClientDisconnected:
        return error(400, "client disconnected before the body was complete")
    finally:
        if stored is not None:
            store.discard(stored)
