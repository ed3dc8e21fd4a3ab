"""A "streaming" upload server that secretly buffers: it answers like flask-stream (201, the
file on disk, its sha256) but reads the whole request body into memory first and keeps it
until the answer. `streaming-flat-memory` must not hold for it."""

import hashlib

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    body = request.get_data(cache=True)  # the whole body, in memory, for the whole request
    file = request.files.get("file")     # parsed from those cached bytes
    if problem := file_field_problem(file):
        return error(400, problem)
    stored = store.new(file.filename)
    file.save(stored.path)
    data = stored.path.read_bytes()
    assert len(body) >= len(data)
    return store.save(stored, "stored", len(data), hashlib.sha256(data).hexdigest()), 201
