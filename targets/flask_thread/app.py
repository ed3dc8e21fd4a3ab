"""flask-thread — seeds 000 and 004: "offload the save to a background thread".

As the seed does it: the view reads the whole upload into memory (`file.read()`), starts a
`threading.Thread` that writes it and does the work, and answers 202 at once. The thread gets
the bytes, never the request's file object (Flask closes that when the request ends). The
pattern's real costs are kept on purpose: every upload in flight sits in the worker's memory,
and until the thread has written it an acknowledged upload exists only there — a crash loses
it. Record: accepted -> processed (or failed); "stored" is final in the contract, so the
thread does not pass through it.
"""

import threading

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem
from targets.common.store import Upload

app, settings, store = create_app(__name__)


def save_and_work(upload: Upload, data: bytes) -> None:
    try:
        with open(upload.path, "wb") as f:
            f.write(data)
        sha256 = settings.work.run(upload.path)
        store.save(upload, "processed", len(data), sha256)
    except Exception as exc:  # a thread has nobody to raise to: record it
        store.save(upload, "failed", len(data), None, error=str(exc))


@app.post("/upload")
def upload():
    file = request.files.get("file")
    if problem := file_field_problem(file):
        return error(400, problem)
    data = file.read()
    accepted = store.new(file.filename)
    record = store.save(accepted, "accepted", len(data), None)
    threading.Thread(target=save_and_work, args=(accepted, data)).start()
    return record, 202
