"""flask-stream — seed 001's "streaming file uploads", done so that it actually streams.

The seed iterates `request.files['file'].stream`, but touching `request.files` has already
parsed and spooled the whole body. Here the body is read from `request.stream` in chunks
through an incremental multipart parser (targets/common/multipart_reader.py); file bytes go
straight to the destination file and into the sha256 as they arrive, so memory stays bounded
whatever the upload size and the file is written once.
"""

from flask import request
from werkzeug.exceptions import ClientDisconnected

from targets.common.flask_app import create_app, error
from targets.common.multipart_reader import BadUpload, FilePart, boundary_of
from targets.common.store import public, write_stream

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    stored = None
    try:
        # request.stream raises 413 up front when Content-Length is over the limit, and while
        # reading when a chunked body grows over it.
        part = FilePart(request.stream, boundary_of(request.content_type))
        stored = store.new(part.filename)
        size, digest = write_stream(part, stored.path, hashing=settings.work.kind == "sha256")
        part.finish()
        sha256 = settings.work.run(stored.path, digest)
        record = store.save(stored, "stored", size, sha256)
        stored = None  # committed
        return public(record), 201
    except BadUpload as exc:
        return error(400, str(exc))
    except ClientDisconnected:
        return error(400, "client disconnected before the body was complete")
    finally:
        if stored is not None:
            store.discard(stored)
