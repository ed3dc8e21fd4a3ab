"""flask-sync — seeds 000 and 001: the textbook upload.

Werkzeug parses the whole multipart body first (spooling anything over 500 KB to a temporary
file), then `FileStorage.save()` copies it to its destination, then the work runs — all inside
the request, on a gunicorn sync worker. Hardened only as a careful engineer would: a size limit,
sanitised filename, 400 instead of a KeyError when the field is missing.
"""

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    file = request.files.get("file")
    if problem := file_field_problem(file):
        return error(400, problem)
    stored = store.new(file.filename)
    try:
        file.save(stored.path)
        size = stored.path.stat().st_size
        sha256 = settings.work.run(stored.path)
    except BaseException:
        store.discard(stored)
        raise
    return store.save(stored, "stored", size, sha256), 201
