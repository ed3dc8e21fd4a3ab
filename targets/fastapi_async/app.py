"""fastapi-async — seed 002: `UploadFile` + `BackgroundTasks`, "respond immediately".

Starlette has parsed the multipart body into a SpooledTemporaryFile (1 MB in memory, then
disk) before the endpoint runs. The seed then does `content = await file.read()` and hands the
bytes to the task; a careful engineer persists first and hands the task a *path*, so the file
is copied to its place (in the threadpool: file I/O must not block the event loop) and the
answer is 202. The work (seed: `heavy_processing`, a plain `def`) runs after the response in
Starlette's threadpool. Record: accepted -> processed (or failed). On uvicorn with uvloop +
httptools.
"""

from fastapi import BackgroundTasks, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from targets.common.fastapi_app import create_app, error, persist
from targets.common.store import Upload

app, settings, store = create_app(__name__)


def heavy_processing(upload: Upload, size: int) -> None:
    try:
        sha256 = settings.work.run(upload.path)
        store.save(upload, "processed", size, sha256)
    except Exception as exc:
        store.save(upload, "failed", size, None, error=str(exc))


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    if not file.filename:
        return error(400, "empty filename in field 'file'")
    stored = store.new(file.filename)
    try:
        size = await run_in_threadpool(persist, file.file, stored.path)
    except BaseException:
        store.discard(stored)
        raise
    record = store.save(stored, "accepted", size, None)
    background_tasks.add_task(heavy_processing, stored, size)
    return JSONResponse(record, status_code=202)
