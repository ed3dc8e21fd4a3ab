"""seed001-stream — seed 001's "Streaming File Uploads (Avoid Memory Overload)", as written.

    file = request.files.get("file")
    ...
    with open(file_path, "wb") as f:
        for chunk in file.stream:
            f.write(chunk)

`request.files` has Werkzeug parse the whole multipart body first (parts over 500 KB spooled
to a temporary file) before the loop runs; `for chunk in file.stream` then iterates that file
*by lines* (a binary file's iterator splits at b"\\n"). Both are kept: that is the code the
seed ships. Changes, only those running it needs (targets/common/hardening.py): a folder per
upload, a size limit, the JSON contract, a record. Then the `--work` (none in the claims' memory
experiment: the seed's snippet does none).
"""

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem

app, settings, store = create_app(__name__)


@app.post("/upload")
def stream_upload():
    file = request.files.get("file")
    if problem := file_field_problem(file):
        return error(400, problem)
    stored = store.new(file.filename)
    try:
        with open(stored.path, "wb") as f:
            for chunk in file.stream:
                f.write(chunk)
        size = stored.path.stat().st_size
        sha256 = settings.work.run(stored.path)
    except BaseException:
        store.discard(stored)
        raise
    return store.save(stored, "stored", size, sha256), 201
