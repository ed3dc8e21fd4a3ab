"""flask-stream — seed 001's "streaming file uploads", done so that it actually streams.

The seed iterates `request.files['file'].stream`, but touching `request.files` has already
parsed and spooled the whole body. Here the body is read from `request.stream` in chunks
through an incremental multipart parser (targets/common/multipart_reader.py); file bytes go
straight to the destination file and into the sha256 as they arrive, so memory stays bounded
whatever the upload size and the file is written once. (The view lives in
targets/common/flask_app.py because `resumable` serves it too.)
"""

from targets.common.flask_app import create_app, streamed_upload

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    return streamed_upload(settings, store)
