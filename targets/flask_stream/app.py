"""flask-stream — seed 001's "streaming file uploads", done so that it actually streams.

The seed iterates `request.files['file'].stream`, but touching `request.files` has already
parsed and spooled the whole body. Here the body is read from `request.stream` in fixed chunks
and fed to Werkzeug's incremental `MultipartDecoder`; file bytes go straight to the destination
file and into the sha256 as they arrive, so memory stays bounded whatever the upload size and
the file is never copied a second time. `request.files`, `.form` and `.data` are never touched.
"""

import hashlib

from flask import request
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, File, MultipartDecoder, NeedData

from targets.common.flask_app import create_app, error
from targets.common.store import public

CHUNK = 256 * 1024
MAX_PART_HEADERS = 64 * 1024  # what may sit in the decoder beyond one chunk (part headers)

app, settings, store = create_app(__name__)


class MalformedBody(ValueError):
    pass


@app.post("/upload")
def upload():
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        return error(400, "expected multipart/form-data with a boundary")
    if request.content_length is not None and request.content_length > settings.max_upload:
        return error(413, f"upload larger than the limit of {settings.max_upload} bytes")

    decoder = MultipartDecoder(options["boundary"].encode("latin-1"),
                               max_form_memory_size=CHUNK + MAX_PART_HEADERS)
    stored = out = None
    writing = done = False
    size = 0
    digest = hashlib.sha256() if settings.work.kind == "sha256" else None
    try:
        while not done:
            chunk = request.stream.read(CHUNK)
            decoder.receive_data(chunk or None)
            while not done:
                event = decoder.next_event()
                if isinstance(event, NeedData):
                    if not chunk:
                        raise MalformedBody("multipart body ended before its closing boundary")
                    break
                if isinstance(event, File):
                    writing = event.name == "file" and stored is None
                    if writing:
                        if not event.filename:
                            return error(400, "empty filename in field 'file'")
                        stored = store.new(event.filename)
                        out = open(stored.path, "wb")
                elif isinstance(event, Data):
                    if writing:
                        out.write(event.data)
                        size += len(event.data)
                        if digest:
                            digest.update(event.data)
                elif isinstance(event, Epilogue):
                    done = True
                else:  # Preamble, Field: form fields are allowed and ignored
                    writing = False
        if stored is None:
            return error(400, "missing multipart field 'file'")
        out.close()
        sha256 = settings.work.run(stored.path, digest.hexdigest() if digest else None)
        record = store.save(stored, "stored", size, sha256)
        stored = None  # committed: nothing to clean up
        return public(record), 201
    except (ValueError, MalformedBody) as exc:  # the decoder raises ValueError on bad framing
        return error(400, f"malformed multipart body: {exc}")
    except ClientDisconnected:
        return error(400, "client disconnected before the body was complete")
    finally:
        if out is not None:
            out.close()
        if stored is not None:
            store.discard(stored)
