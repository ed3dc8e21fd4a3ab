"""seed002-background — seed 002's "good" snippet, as written.

    content = await file.read()
    background_tasks.add_task(heavy_processing, content)
    return {'status': 'processing started'}

The whole upload is read into memory (`await file.read()`) and the *bytes* go to the task,
which Starlette runs after the response (a plain `def`: in its threadpool). The task writes
them and does the work (the seed's `heavy_processing`: `--work`, CPU work in the claims'
`heavy-processing` experiment). Changes, only those running it needs
(targets/common/hardening.py): a folder per upload, a size limit, the JSON contract (202 with
the id), a record (accepted -> processed). fastapi-async is the careful version: it persists
first and hands the task a path.
"""

from fastapi import BackgroundTasks, UploadFile
from fastapi.responses import JSONResponse

from targets.common.fastapi_app import create_app, error
from targets.common.store import Upload

app, settings, store = create_app(__name__)


def heavy_processing(upload: Upload, content: bytes) -> None:
    try:
        with open(upload.path, "wb") as f:
            f.write(content)
        sha256 = settings.work.run(upload.path)
        store.save(upload, "processed", len(content), sha256)
    except Exception as exc:
        store.save(upload, "failed", len(content), None, error=str(exc))


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    if not file.filename:
        return error(400, "empty filename in field 'file'")
    content = await file.read()
    accepted = store.new(file.filename)
    record = store.save(accepted, "accepted", len(content), None)
    background_tasks.add_task(heavy_processing, accepted, content)
    return JSONResponse(record, status_code=202)
