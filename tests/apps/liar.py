"""A deliberately wrong upload server: stores the body but reports a wrong sha256 and byte
count. `verify` must catch it (a WSGI app, served by gunicorn like the real targets)."""

from flask import request

from targets.common.flask_app import create_app

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    file = request.files["file"]
    stored = store.new(file.filename)
    file.save(stored.path)
    return store.save(stored, "stored", 1, "0" * 64), 201
