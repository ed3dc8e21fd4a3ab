"""queued — seed 001's async-upload: save the file, then `process_uploaded_file.delay(path)`.

The file is persisted and its record written *before* the task is enqueued (a worker may
finish before this view returns), and the task gets the path, never the bytes. The upload id
doubles as the Celery task id. If the broker is down the upload is marked failed and the
client gets 503 — it was not accepted for processing.
"""

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem
from targets.queued.tasks import process_uploaded_file

app, settings, store = create_app(__name__)


@app.post("/upload")
def upload():
    file = request.files.get("file")
    if problem := file_field_problem(file):
        return error(400, problem)
    stored = store.new(file.filename)
    try:
        file.save(stored.path)
    except BaseException:
        store.discard(stored)
        raise
    size = stored.path.stat().st_size
    record = store.save(stored, "accepted", size, None)
    try:
        process_uploaded_file.apply_async((stored.id, str(stored.path)), task_id=stored.id)
    except Exception as exc:  # broker unreachable: nothing will process it
        store.save(stored, "failed", size, None, error=f"enqueue failed: {exc}")
        return error(503, "task queue unavailable; upload not accepted")
    return {**record, "task_id": stored.id}, 202
